"""Submit → risk decision → application status, with the real risk engine (no fakes)."""

import time

import pytest

from origination.models.applications import Application
from origination.models.privacy import Consent
from origination.services.applications.consents import consent_withdraw
from origination.services.applications.submission import application_submit
from origination.tasks.decisions import application_decide
from risk.models import BureauQuery, Decision
from risk.services.rulesets import rule_set_default_ensure
from tests.origination.intake_support import complete_draft

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

    assert application_decide(draft.pk) in OUTCOME_STATUS.values()
    assert application_decide(draft.pk) in OUTCOME_STATUS.values()  # a retried task

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


def test_customer_asks_for_a_human_review_of_an_automated_decline(client, draft, customer):
    from django.urls import reverse

    from risk.models import DecisionReviewRequest
    from tests.factories import PASSWORD

    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="flow-3", queue_decision=False)
    application_decide(draft.pk)
    decision = Decision.objects.get(application_ref=draft.reference)
    # Whatever the engine said, make the outcome a decline the way risk would store it.
    Application.objects.filter(pk=draft.pk).update(status="declined")
    assert client.login(username=customer.username, password=PASSWORD)
    url = reverse("origination:application_review_request", args=[draft.reference])

    client.post(url, {"reason": ""})
    assert DecisionReviewRequest.objects.count() == 0  # a reason is required; nothing stored

    page = client.get(reverse("origination:application_detail", args=[draft.reference]))
    assert "申请人工复核" in page.content.decode()
    client.post(url, {"reason": "我的收入证明已补充"})
    client.post(url, {"reason": "再次提交"})  # asking again returns the open request
    request = DecisionReviewRequest.objects.get()
    assert (request.decision_id, request.reason) == (decision.pk, "我的收入证明已补充")
    assert draft.events.filter(reason="review_requested").count() == 1


def test_the_bureau_is_asked_on_the_applications_consent_and_logged(draft, customer):
    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="flow-4", queue_decision=False)
    application_decide(draft.pk)
    consent = Consent.objects.get(application=draft, consent_kind="credit_bureau")
    decision = Decision.objects.get(application_ref=draft.reference)
    assert decision.facts["consents"]["credit_bureau"]["ref"] == f"consent:{consent.pk}"
    query = BureauQuery.objects.get()
    assert (query.subject_ref, query.purpose, query.consent_ref) == (
        draft.reference,
        "pre_loan",
        f"consent:{consent.pk}",
    )


def test_a_withdrawn_bureau_consent_refers_without_asking_the_bureau(draft, customer):
    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="flow-5", queue_decision=False)
    consent = Consent.objects.get(application=draft, consent_kind="credit_bureau")
    consent_withdraw(actor=customer, consent=consent, reason="不再同意")

    assert application_decide(draft.pk) == "referred"
    app = Application.objects.get(pk=draft.pk)
    assert app.decision_reasons == ["征信查询授权缺失或已撤回，未查询征信，需人工处理"]
    assert app.decision_ref == ""
    assert BureauQuery.objects.count() == 0
    assert Decision.objects.filter(application_ref=draft.reference).count() == 0


def test_the_customers_api_timeline_gives_the_plain_line_never_the_reason_codes(draft, customer):
    from rest_framework.test import APIClient

    from origination.customer_texts import status_note
    from tests.origination.test_no_internal_codes import CODE

    rule_set_default_ensure()
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="flow-api", queue_decision=False)
    status = application_decide(draft.pk)
    decision = Decision.objects.get(application_ref=draft.reference)
    # the back office's event names the codes (the timeline below must not)
    event = draft.events.filter(kind="status", to_status=status).last()
    assert decision.reason_codes and decision.reason_codes[0] in event.reason
    api = APIClient()
    api.force_authenticate(customer)
    timeline = api.get(f"/api/v1/applications/{draft.reference}/status/").json()["timeline"]
    decided = [e for e in timeline if e["to_status"] == status]
    assert decided and decided[-1]["reason"] == status_note(status)
    assert not [e["reason"] for e in timeline if CODE.search(e["reason"])]
