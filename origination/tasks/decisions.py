"""The risk decision of a submitted application: its facts gathered, risk asked, the outcome
applied (and a counter-offer or the contract's issue followed up)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils.translation import gettext as _

from origination.models.applications import Application, ApplicationStatus
from origination.services.applications.aml import application_aml_check
from origination.services.applications.decision import (
    application_decision_apply,
    risk_decision_ref,
)
from origination.services.facts import application_facts
from origination.services.state import application_transition
from origination.services.underwriting.counter_offers import automated_counter_offer_record
from origination.tasks.contracts import DECISION_ACTOR, application_contract_issue
from risk.services import BureauConsentMissing, decision_make

log = logging.getLogger(__name__)


@shared_task(
    name="origination.tasks.application_decide",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def application_decide(application_id: int) -> str:
    """Gather the application's facts and ask risk for a decision; apply its outcome.

    Idempotent: an application that is no longer submitted/under review is left alone, and the
    decision is asked with the application's reference as the idempotency key.
    """
    app = Application.objects.filter(pk=application_id).first()
    if app is None:
        return "missing"
    if app.status == ApplicationStatus.SUBMITTED:
        app = application_transition(
            application=app,
            to_status=ApplicationStatus.UNDER_REVIEW,
            actor=DECISION_ACTOR,
            reason="automated decision",
        )
    if app.status != ApplicationStatus.UNDER_REVIEW:
        return app.status
    facts = application_facts(app)
    application_aml_check(application=app, facts=facts)
    try:
        decision = decision_make(
            application_ref=app.reference, facts=facts, idempotency_key=f"decide:{app.reference}"
        )
    except BureauConsentMissing:
        # The consent was withdrawn after submission: the bureau is not asked and no machine
        # decides; an underwriter takes the case (and asks the customer to consent again).
        app = application_decision_apply(
            application_id=app.pk,
            outcome="refer",
            reasons=[_("征信查询授权缺失或已撤回，未查询征信，需人工处理")],
            actor=DECISION_ACTOR,
        )
        log.warning("application %s: no bureau consent, referred", app.reference)
        return app.status
    app = application_decision_apply(
        application_id=app.pk,
        outcome=decision.outcome,
        # Stored as the codes with their customer-facing explanation (zh msgid), so the
        # application's timeline explains itself without a join into risk's tables.
        reasons=[f"{r['code']} {r.get('explanation', '')}".strip() for r in decision.reasons],
        decision_ref=risk_decision_ref(decision.pk),
        actor=DECISION_ACTOR,
        conditions=[
            c.get("text") or c.get("code") if isinstance(c, dict) else str(c)
            for c in decision.conditions
        ],
    )
    if app.status == ApplicationStatus.COUNTER_OFFERED and decision.offer:
        # risk's offered terms become a counter-offer the customer answers on their page
        try:
            automated_counter_offer_record(
                application_id=app.pk,
                offer=decision.offer,
                tier=decision.tier or "",
            )
        except Exception:  # the decision stands; the offer can be made again from the case
            log.exception("counter-offer of %s not recorded", app.reference)
    if app.status == ApplicationStatus.APPROVED:
        # An automated approval goes on to the customer's contract, as an underwriter's does;
        # rendering the PDF takes seconds, so it is its own task and the next decision waits not.
        application_contract_issue.delay(app.pk, decision.tier or "")
    log.info("application %s decided: %s", app.reference, decision.outcome)
    return app.status
