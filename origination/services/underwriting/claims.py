"""An underwriter takes a referred case from the queue, or gives it back."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.roles import Role, user_has_role
from origination.models.applications import ApplicationStatus
from origination.models.underwriting import UnderwritingCase
from origination.services.underwriting.authority import (
    ClaimConflictError,
    UnderwritingError,
    check_conflict,
    check_escalation,
    lock_case,
    require_underwriter,
)

S = ApplicationStatus


def case_claim(*, application_id: int, actor: Any) -> UnderwritingCase:
    """Take a referred application. Atomic: of two underwriters claiming at once, the second
    waits on the row lock and then finds the case taken (ClaimConflictError)."""
    require_underwriter(actor)
    with transaction.atomic():
        app, case = lock_case(application_id)
        if app.status != S.REFERRED:
            raise UnderwritingError(_("该申请不在审批队列中。"))
        check_conflict(actor, app)
        check_escalation(actor, case)
        if case.assigned_to_id == actor.pk:
            return case
        if case.assigned_to_id is not None:
            raise ClaimConflictError(_("该案件已被 %(who)s 领取。") % {"who": case.assigned_to})
        case.assigned_to = actor
        case.claimed_at = timezone.now()
        case.save(update_fields=["assigned_to", "claimed_at", "updated_at"])
        audit_record(
            actor=actor,
            obj=case,
            action="underwriting_claim",
            from_state="unassigned",
            to_state=actor.get_username(),
            data={"application": app.reference},
        )
        return case


def case_release(*, application_id: int, actor: Any, reason: str = "") -> UnderwritingCase:
    """Give a case back to the queue: its holder, or a senior underwriter for anybody's."""
    require_underwriter(actor)
    with transaction.atomic():
        app, case = lock_case(application_id)
        if case.assigned_to_id is None:
            raise UnderwritingError(_("该案件未被领取。"))
        if case.assigned_to_id != actor.pk and not user_has_role(actor, Role.SENIOR_UNDERWRITER):
            raise UnderwritingError(_("只能释放自己领取的案件。"))
        holder = case.assigned_to.get_username()
        case.assigned_to = None
        case.claimed_at = None
        case.save(update_fields=["assigned_to", "claimed_at", "updated_at"])
        audit_record(
            actor=actor,
            obj=case,
            action="underwriting_release",
            from_state=holder,
            to_state="unassigned",
            reason=reason,
            data={"application": app.reference},
        )
        return case
