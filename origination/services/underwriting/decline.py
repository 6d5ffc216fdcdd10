"""An underwriter declines a claimed case, with reason codes from a fixed list."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from origination.models.applications import Application, ApplicationStatus
from origination.services.state import application_transition
from origination.services.underwriting.authority import UnderwritingError, lock_for_decision
from origination.services.underwriting.notices import underwriting_notify

S = ApplicationStatus


# Decline reason codes an underwriter picks from (stored on the application and in the audit).
DECLINE_REASONS = {
    "M01_INCOME_UNVERIFIED": gettext_lazy("收入无法核实"),
    "M02_DEBT_BURDEN": gettext_lazy("负债过高，还款能力不足"),
    "M03_CREDIT_HISTORY": gettext_lazy("征信记录不符合要求"),
    "M04_DOCUMENTS_INCONSISTENT": gettext_lazy("资料信息不一致"),
    "M05_FRAUD_SUSPECTED": gettext_lazy("存在欺诈风险"),
    "M06_VEHICLE": gettext_lazy("车辆信息或估值不符合要求"),
    "M07_DOCUMENTS_NOT_PROVIDED": gettext_lazy("未按要求补充资料"),
    "M99_OTHER": gettext_lazy("其他原因"),
}


def underwriting_decline(
    *, application_id: int, actor: Any, reason_codes: list[str], note: str = ""
) -> Application:
    codes = [c for c in reason_codes or [] if c in DECLINE_REASONS]
    if not codes or len(codes) != len(reason_codes or []):
        raise UnderwritingError({"reason_codes": [_("请选择拒绝原因。")]})
    with transaction.atomic():
        app, case = lock_for_decision(application_id, actor)
        reasons = [f"{c}: {DECLINE_REASONS[c]}" for c in codes]
        app = application_transition(
            application=app,
            to_status=S.DECLINED,
            actor=actor,
            reason=note or "; ".join(reasons),
            data={"reason_codes": codes, "by": "underwriting"},
            extra_fields={"decision_reasons": [*(app.decision_reasons or []), *reasons]},
        )
        underwriting_notify(
            app,
            _("【AutoFin】很遗憾，您的汽车金融申请 %(ref)s 本次未获批准。")
            % {"ref": app.reference},
            purpose="underwriting_decline",
        )
        return app
