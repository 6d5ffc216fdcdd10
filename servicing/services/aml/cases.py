"""The compliance case of an AML alert: open → investigating → confirmed / dismissed, with the
officer's decision text; audited. A confirmed suspicious-pattern alert is due to the regulator as
a 可疑交易报告 within 5 working days of the decision (servicing.selectors.aml_report); a
large-value alert keeps its due date (5 working days from the transaction)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.roles import Role, user_has_role
from autofin.working_days import working_days_after
from servicing.aml_rules import REPORT_WORKING_DAYS
from servicing.models.aml import LARGE_VALUE_KINDS, AmlAlert, AmlAlertStatus

S = AmlAlertStatus
ALLOWED = {
    S.OPEN: {S.INVESTIGATING, S.CONFIRMED, S.DISMISSED},
    S.INVESTIGATING: {S.CONFIRMED, S.DISMISSED},
    S.CONFIRMED: set(),
    S.DISMISSED: set(),
}


def _locked(alert_id: int, actor: Any, to_status: str) -> AmlAlert:
    if not user_has_role(actor, Role.COMPLIANCE_OFFICER):
        raise PermissionDenied(_("只有合规专员可以处理反洗钱预警。"))
    alert = AmlAlert.objects.select_for_update().get(pk=alert_id)
    if to_status not in ALLOWED[S(alert.status)]:
        raise ValidationError(
            _("该预警当前为“%(s)s”，不能改为所选状态。") % {"s": alert.get_status_display()},
            code="state",
        )
    return alert


def aml_alert_investigate(*, alert_id: int, actor: Any) -> AmlAlert:
    with transaction.atomic():
        alert = _locked(alert_id, actor, S.INVESTIGATING)
        alert.status, alert.investigator = S.INVESTIGATING, actor
        alert.save(update_fields=["status", "investigator"])
        audit_record(
            actor=actor,
            obj=alert,
            action="aml_alert_investigate",
            from_state=S.OPEN,
            to_state=S.INVESTIGATING,
        )
    return alert


def aml_alert_decide(*, alert_id: int, actor: Any, to_status: str, decision_text: str) -> AmlAlert:
    decision_text = (decision_text or "").strip()
    if to_status not in (S.CONFIRMED, S.DISMISSED):
        raise ValidationError(_("请选择“确认可疑”或“排除”。"), code="status")
    if not decision_text:
        raise ValidationError(_("请填写调查结论。"), code="decision_text")
    with transaction.atomic():
        alert = _locked(alert_id, actor, to_status)
        old = alert.status
        today = business_date_current()
        alert.status, alert.decision_text = to_status, decision_text
        alert.decided_by, alert.decided_at, alert.decided_on = actor, timezone.now(), today
        if to_status == S.CONFIRMED and alert.kind not in LARGE_VALUE_KINDS:
            alert.report_due = working_days_after(today, REPORT_WORKING_DAYS)
        alert.save()
        audit_record(
            actor=actor,
            obj=alert,
            action="aml_alert_decide",
            from_state=old,
            to_state=to_status,
            reason=decision_text,
            data={"report_due": str(alert.report_due or "")},
        )
    return alert
