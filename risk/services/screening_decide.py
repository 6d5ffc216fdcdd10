"""Compliance decides a screening hit: confirm it (the person is the one listed: funding stays
blocked) or clear it as a false positive (funding may go on). Either needs a reason; it is
audited and the customer is re-rated."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.roles import Role, user_has_role
from risk.models import ScreeningHit
from risk.services.customer_rating import customer_risk_rate

S = ScreeningHit.Status
# A confirmed hit may still be cleared later (the person was delisted, or new evidence).
ALLOWED = {S.OPEN: {S.CONFIRMED, S.CLEARED}, S.CONFIRMED: {S.CLEARED}, S.CLEARED: set()}


def screening_hit_decide(*, hit_id: int, actor: Any, to_status: str, reason: str) -> ScreeningHit:
    if not user_has_role(actor, Role.COMPLIANCE_OFFICER):
        raise PermissionDenied(_("只有合规专员可以处理名单命中。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写处理意见。"), code="reason")
    with transaction.atomic():
        hit = ScreeningHit.objects.select_for_update().get(pk=hit_id)
        if to_status not in ALLOWED[S(hit.status)]:
            raise ValidationError(
                _("该命中当前为“%(s)s”，不能改为所选状态。") % {"s": hit.get_status_display()},
                code="state",
            )
        old = hit.status
        hit.status, hit.decision_reason = to_status, reason
        hit.decided_by, hit.decided_at = actor, timezone.now()
        hit.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            obj=hit,
            action="aml_hit_decide",
            from_state=old,
            to_state=to_status,
            reason=reason,
        )
        customer_risk_rate(subject_ref=hit.subject_ref, actor=actor)
    return hit
