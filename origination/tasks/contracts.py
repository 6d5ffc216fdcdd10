"""The contract of an automatically approved application, issued on the documents queue
(rendering the PDF takes seconds: the decision worker does not wait for it)."""

from __future__ import annotations

from celery import shared_task

from origination.services.contracts.issue import contract_issue

DECISION_ACTOR = "decision-worker"


@shared_task(
    name="origination.tasks.application_contract_issue",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def application_contract_issue(application_id: int, tier: str = "") -> str:
    """Issue the contract of an automatically approved application (idempotent: an unsigned
    contract on the same terms is returned as it is)."""
    contract = contract_issue(
        application_id=application_id, actor=DECISION_ACTOR, tier=tier or None
    )
    return contract.contract_ref
