"""The risk decision's outcome applied to the application (approve, counter-offer, refer,
decline), and how an application names the decision behind it (``decision_ref``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from origination.models.applications import RISK_DECISION_PREFIX, Application, ApplicationStatus
from origination.services.applications.notices import application_notify
from origination.services.state import application_transition

S = ApplicationStatus


def risk_decision_ref(decision_id: int) -> str:
    """How an application names the risk decision behind its outcome (`decision_ref`)."""
    return f"{RISK_DECISION_PREFIX}{decision_id}"


# The way back, decision_ref -> id, is Application.risk_decision_id (one rule, on the model).


OUTCOME_STATUS = {
    "approve": S.APPROVED,
    "counter_offer": S.COUNTER_OFFERED,
    "refer": S.REFERRED,
    "decline": S.DECLINED,
}
OUTCOME_MESSAGE = {
    "approve": gettext_lazy("您的汽车金融申请 %(ref)s 已获批准，请留意签约通知。"),
    "counter_offer": gettext_lazy("您的汽车金融申请 %(ref)s 有调整后的方案，请登录查看并确认。"),
    "refer": gettext_lazy("您的汽车金融申请 %(ref)s 已转人工审核，如需补充资料我们会通知您。"),
    "decline": gettext_lazy("很遗憾，您的汽车金融申请 %(ref)s 本次未获批准。"),
}


def application_decision_apply(
    *,
    application_id: int,
    outcome: str,
    reasons: list | tuple = (),
    decision_ref: str = "",
    actor: Any = "decision-worker",
    conditions: list | tuple = (),
) -> Application:
    """Move the application by the decision's outcome (approve -> approved, counter_offer ->
    counter_offered, refer -> referred, decline -> declined). A submitted application passes
    through under_review first. Applying the same decision twice changes nothing."""
    if outcome not in OUTCOME_STATUS:
        raise ValueError(f"unknown outcome {outcome!r}")
    target = OUTCOME_STATUS[outcome]
    reasons = [str(r) for r in reasons]
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if decision_ref and app.decision_ref == decision_ref and app.status == target:
            return app
        if app.status == S.SUBMITTED:
            app = application_transition(
                application=app, to_status=S.UNDER_REVIEW, actor=actor, reason="automated decision"
            )
        app = application_transition(
            application=app,
            to_status=target,
            actor=actor,
            reason="; ".join(reasons) or outcome,
            data={"decision_ref": decision_ref, "outcome": outcome, "reasons": reasons},
            extra_fields={
                "decision_ref": decision_ref,
                "decision_reasons": reasons,
                "conditions": [str(c) for c in conditions],
            },
        )
        # the dealer's salesperson hears of outcomes only: an e-mail saying 已转人工审核 would
        # tell a referral from a review, which the portal's 审核中 keeps neutral
        application_notify(
            app, OUTCOME_MESSAGE[outcome], f"application_{outcome}", tell_dealer=outcome != "refer"
        )
        return app
