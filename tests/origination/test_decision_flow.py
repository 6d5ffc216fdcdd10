"""Submit → risk decision → application status, with the real risk engine (no fakes)."""

import time

import pytest

from origination import tasks
from origination.models import Application
from origination.services.applications import application_submit
from risk.models import Decision
from risk.services.rulesets import rule_set_default_ensure
from tests.origination.intake_fixtures import *  # noqa: F403
from tests.origination.intake_fixtures import complete_draft

OUTCOME_STATUS = {
    "approve": "approved",
    "counter_offer": "counter_offered",
    "refer": "referred",
    "decline": "declined",
}


def test_task_decides_with_the_real_engine_once(draft, customer):
    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="flow-1", queue_decision=False)

    assert tasks.application_decide(draft.pk) in OUTCOME_STATUS.values()
    assert tasks.application_decide(draft.pk) in OUTCOME_STATUS.values()  # a retried task

    decision = Decision.objects.get(application_ref=draft.reference)  # exactly one
    app = Application.objects.get(pk=draft.pk)
    assert app.status == OUTCOME_STATUS[decision.outcome]
    assert app.decision_ref == f"risk-decision:{decision.pk}"
    assert [r.split(" ")[0] for r in app.decision_reasons] == decision.reason_codes
    assert decision.facts["deal"]["amount_financed"] == "146000.00"


@pytest.mark.slow
def test_submit_is_decided_by_a_real_worker_within_seconds(
    celery_worker_process, products, customer, draft
):
    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    started = time.monotonic()
    application_submit(actor=customer, application=draft, key="flow-2")  # queues after commit

    deadline = started + 30
    status = "submitted"
    while time.monotonic() < deadline:
        status = Application.objects.get(pk=draft.pk).status
        if status in OUTCOME_STATUS.values():
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    decision = Decision.objects.get(application_ref=draft.reference)
    assert status == OUTCOME_STATUS[decision.outcome]
    assert elapsed < 10, f"decided in {elapsed:.1f} s"
