"""An underwriter sends a case up to the senior underwriters (转高级): it leaves the
underwriters' queue and their hands, and from then on only a senior may take or decide it."""

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
    UnderwritingError,
    check_conflict,
    lock_case,
    require_underwriter,
)

S = ApplicationStatus


def case_escalate(*, application_id: int, actor: Any, note: str = "") -> UnderwritingCase:
    """Escalate a referred case the actor holds. Refused (nothing changes) for a senior (there
    is nobody above), a case not in the queue, one already escalated, or one the actor does
    not hold."""
    require_underwriter(actor)
    if user_has_role(actor, Role.SENIOR_UNDERWRITER):
        raise UnderwritingError(_("您已是高级审批员，无需转高级。"))
    with transaction.atomic():
        app, case = lock_case(application_id)
        if app.status != S.REFERRED:
            raise UnderwritingError(_("该申请不在审批队列中。"))
        check_conflict(actor, app)
        if case.escalated_at is not None:
            raise UnderwritingError(_("该案件已转高级审批员。"))
        if case.assigned_to_id != actor.pk:
            raise UnderwritingError(_("请先领取该案件。"))
        case.escalated_at = timezone.now()
        case.escalated_by = actor
        case.escalation_note = note
        case.assigned_to = None
        case.claimed_at = None
        case.save(
            update_fields=[
                "escalated_at",
                "escalated_by",
                "escalation_note",
                "assigned_to",
                "claimed_at",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            obj=case,
            action="underwriting_escalate",
            from_state=actor.get_username(),
            to_state="senior_queue",
            reason=note,
            data={"application": app.reference, "amount": str(app.amount_financed)},
        )
        return case
