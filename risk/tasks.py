"""Thin Celery wrappers around risk's services (origination owns the task that gathers facts)."""

from celery import shared_task

from risk.services import decision_make


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def decision_make_task(
    application_ref: str, facts: dict, idempotency_key: str | None = None
) -> dict:
    """Decide an application; safe to retry (decision_make is idempotent per application and
    rule-set version). Returns {"decision_id", "outcome", "reason_codes"}."""
    decision = decision_make(
        application_ref=application_ref, facts=facts, idempotency_key=idempotency_key
    )
    return {
        "decision_id": decision.pk,
        "outcome": decision.outcome,
        "reason_codes": decision.reason_codes,
    }
