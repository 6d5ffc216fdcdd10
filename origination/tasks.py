"""Celery tasks of origination: thin wrappers that take ids, re-fetch and call services."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)

DECISION_ACTOR = "decision-worker"


def _decision_service():
    """risk's ``decision_make`` once the risk app provides it, else None."""
    try:
        from risk.services import decision_make
    except ImportError:
        return None
    return decision_make


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def application_decide(application_id: int) -> str:
    """Gather the application's facts and ask risk for a decision; apply its outcome.

    Idempotent: an application that is no longer submitted/under review is left alone, and the
    decision is asked with the application's reference as the idempotency key.
    """
    from origination.models import Application, ApplicationStatus
    from origination.services.applications import application_decision_apply
    from origination.services.facts import application_facts
    from origination.services.state import application_transition

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
    decision_make = _decision_service()
    if decision_make is None:
        log.info("risk.services.decision_make not available; %s waits", app.reference)
        return app.status
    decision = decision_make(
        application_ref=app.reference, facts=facts, idempotency_key=f"decide:{app.reference}"
    )
    app = application_decision_apply(
        application_id=app.pk,
        outcome=decision.outcome,
        reasons=list(getattr(decision, "reasons", None) or []),
        decision_ref=str(getattr(decision, "reference", "") or getattr(decision, "pk", "")),
        actor=DECISION_ACTOR,
        conditions=list(getattr(decision, "conditions", None) or []),
    )
    return app.status
