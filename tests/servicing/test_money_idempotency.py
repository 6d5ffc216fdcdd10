"""autofin.idempotency on the servicing money POSTs (issue 14): a key is required and validated
to one length, a different body gets 422, an in-flight duplicate 409, a replay the original
response; the order row claims the key before the provider is called; concurrent requests (real
threads against PostgreSQL) create one object."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from autofin.idempotency import KEY_MAX_LENGTH
from autofin.models import IdempotencyRecord
from autofin.roles import Role
from servicing.adapters import SandboxPaymentProvider
from servicing.models.repayments import PaymentOrder, Repayment
from servicing.selectors.ledger import loan_balances
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

NO_LOCK_IN = {"penalty_markup": "0.5", "lock_in_months": 0, "early_settlement_fee_rate": "0.02"}
MANUAL = {"amount": "3000.00", "evidence": "工行 001"}


class GatedProvider(SandboxPaymentProvider):
    """The sandbox provider whose order creation waits at a gate, so a test can look at the
    database while the provider is being called (a slow provider, as in production)."""

    calls: list[str] = []
    entered = threading.Event()
    gate = threading.Event()

    def create_payment(self, *, amount, description, return_url="", idempotency_key=""):
        GatedProvider.calls.append(description)
        GatedProvider.entered.set()
        assert GatedProvider.gate.wait(timeout=30)
        return super().create_payment(
            amount=amount, description=description, idempotency_key=idempotency_key
        )


@pytest.fixture
def gated_provider(settings):
    settings.SERVICING_PAYMENT_PROVIDER = f"{__name__}.GatedProvider"
    GatedProvider.calls = []
    GatedProvider.entered = threading.Event()
    GatedProvider.gate = threading.Event()
    yield GatedProvider
    GatedProvider.gate.set()


def _post_json(client, url, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, content_type="application/json", **extra)


@pytest.mark.django_db
def test_api_money_posts_need_a_key_of_at_most_the_one_length(client):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    for key in (None, "", "   ", "x" * (KEY_MAX_LENGTH + 1), "x" * 151, "中文键"):
        response = _post_json(client, url, MANUAL, key)
        assert response.status_code == 400, key
        assert response.json()["code"] == "idempotency_key_invalid"
    assert Repayment.objects.count() == 0 and IdempotencyRecord.objects.count() == 0
    # the longest valid key works, and a longer one sharing its prefix is refused, not replayed
    longest = "k" * KEY_MAX_LENGTH
    assert _post_json(client, url, MANUAL, longest).status_code == 201
    assert _post_json(client, url, MANUAL, longest + "k").status_code == 400
    assert Repayment.objects.count() == 1


@pytest.mark.django_db
def test_a_key_reused_with_another_body_or_loan_gets_422_and_changes_nothing(client):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    loan, other = make_loan(), make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    first = _post_json(client, url, MANUAL, "k-1")
    assert first.status_code == 201
    balances = (loan_balances(loan_id=loan.pk), loan_balances(loan_id=other.pk))
    another_amount = _post_json(client, url, {**MANUAL, "amount": "1.00"}, "k-1")
    another_loan = _post_json(client, f"/api/v1/loans/{other.pk}/repayments/", MANUAL, "k-1")
    for response in (another_amount, another_loan):
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_mismatch"
    assert list(Repayment.objects.values_list("loan_id", "amount")) == [(loan.pk, D("3000.00"))]
    assert (loan_balances(loan_id=loan.pk), loan_balances(loan_id=other.pk)) == balances
    replay = _post_json(client, url, MANUAL, "k-1")
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_failed_request_releases_its_key_for_a_corrected_retry(client):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    bad = _post_json(client, url, {"amount": "3000.00"}, "k-2")
    assert bad.status_code == 400 and IdempotencyRecord.objects.count() == 0
    assert _post_json(client, url, MANUAL, "k-2").status_code == 201


@pytest.mark.django_db
def test_web_prepayment_needs_its_form_token_and_never_lands_on_another_loan(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900001111")
    loan = make_loan(customer=customer, rules=NO_LOCK_IN)
    other = make_loan(customer=customer, rules=NO_LOCK_IN)
    set_day(dt.date(2026, 2, 10))
    client.force_login(customer)
    body = {"prepay_amount": "10000.00", "option": "shorten_term", "action": "pay"}
    no_token = client.post(reverse("servicing:my_loan_prepay", args=[loan.pk]), body)
    no_token_other = client.post(reverse("servicing:my_loan_prepay", args=[other.pk]), body)
    assert (no_token.status_code, no_token_other.status_code) == (400, 400)
    assert PaymentOrder.objects.count() == 0
    paid = client.post(
        reverse("servicing:my_loan_prepay", args=[loan.pk]), {**body, "token": "t-1"}
    )
    assert paid.status_code == 302
    order = PaymentOrder.objects.get()
    assert (order.loan_id, order.purpose, order.amount, order.prepay_amount) == (
        loan.pk,
        "prepayment",
        D("10200.00"),
        D("10000.00"),
    )
    assert paid["Location"] == f"/pay/sandbox/{order.provider_ref}/"
    reused = client.post(
        reverse("servicing:my_loan_prepay", args=[other.pk]), {**body, "token": "t-1"}
    )
    assert reused.status_code == 422
    assert PaymentOrder.objects.count() == 1
    again = client.post(
        reverse("servicing:my_loan_prepay", args=[loan.pk]), {**body, "token": "t-1"}
    )
    assert (again.status_code, again["Location"]) == (302, paid["Location"])
    assert PaymentOrder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_order_row_claims_the_key_before_the_provider_and_a_duplicate_gets_409(
    gated_provider,
):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900002222")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    url = f"/api/v1/loans/{loan.pk}/payments/"
    results: dict[str, object] = {}

    def first():
        try:
            client = Client()
            client.force_login(customer)
            results["first"] = _post_json(client, url, {"amount": "500.00"}, "pay-1")
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert gated_provider.entered.wait(timeout=30)
        # while the provider is being asked, the order already holds the key (no reference yet)
        order = PaymentOrder.objects.get()
        assert (order.provider_ref, order.amount, order.status) == (None, D("500.00"), "created")
        assert order.idempotency_key.endswith(":pay-1")
        client = Client()
        client.force_login(customer)
        duplicate = _post_json(client, url, {"amount": "500.00"}, "pay-1")
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "idempotency_in_flight"
    finally:
        gated_provider.gate.set()
        thread.join(timeout=60)
    first_response = results["first"]
    assert first_response.status_code == 201
    order = PaymentOrder.objects.get()
    assert first_response.json()["provider_ref"] == order.provider_ref is not None
    replay = _post_json(client, url, {"amount": "500.00"}, "pay-1")
    assert (replay.status_code, replay.json()) == (201, first_response.json())
    assert len(gated_provider.calls) == 1 and PaymentOrder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_object():
    """Six threads send the same manual posting with one key at the same moment: one 201 that
    did the work; the others are told it is in flight (409) or get its response replayed."""
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    barrier = threading.Barrier(6)
    responses = []
    errors: list[BaseException] = []

    def send():
        try:
            client = Client()
            client.force_login(agent)
            barrier.wait(timeout=30)
            responses.append(_post_json(client, url, MANUAL, "same-key"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    done = [
        r for r in responses if r.status_code == 201 and not r.has_header("Idempotent-Replayed")
    ]
    replayed = [r for r in responses if r.has_header("Idempotent-Replayed")]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(done) == 1 and len(done) + len(replayed) + len(in_flight) == 6
    assert all(r.status_code == 201 and r.json() == done[0].json() for r in replayed)
    assert list(Repayment.objects.values_list("amount", "status")) == [(D("3000.00"), "posted")]
    assert loan_balances(loan_id=loan.pk)["bank_clearing"] == D("3000.00")


@pytest.mark.django_db
def test_a_payment_order_key_reused_for_another_amount_is_refused(client):
    from servicing.services.repayments.guards import RepaymentError
    from servicing.services.repayments.online import payment_order_create

    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900003333")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    client.force_login(customer)
    url = f"/api/v1/loans/{loan.pk}/payments/"
    first = _post_json(client, url, {"amount": "100.00"}, "o-1")
    assert first.status_code == 201
    other = _post_json(client, url, {"amount": "250000.00"}, "o-1")
    assert other.status_code == 422
    replay = _post_json(client, url, {"amount": "100.00"}, "o-1")
    assert replay.content == first.content and replay.status_code == 201
    # the service refuses it too, whoever calls it
    order = PaymentOrder.objects.get()
    with pytest.raises(RepaymentError) as exc:
        payment_order_create(
            loan_id=loan.pk, actor=customer, amount="250.00", idempotency_key=order.idempotency_key
        )
    assert exc.value.code == "idempotency_conflict"
    assert list(PaymentOrder.objects.values_list("amount", flat=True)) == [D("100.00")]


@pytest.mark.django_db
def test_payoff_page_with_a_bad_quote_id_answers_without_an_error(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900004444")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    client.force_login(customer)
    url = reverse("servicing:my_loan_payoff", args=[loan.pk])
    for quote_id in ("abc", "", "-1", "1.5"):
        response = client.post(url, {"action": "pay", "quote_id": quote_id, "token": "q-1"})
        assert response.status_code == 400, quote_id
    assert PaymentOrder.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_claim_left_in_flight_by_a_dead_worker_is_taken_over_and_replays(client, settings):
    """A worker died after the service committed but before the response was stored: a fresh
    claim answers 409; once stale, the retry takes it over and the service's own key replays
    the posting instead of posting again."""
    from datetime import timedelta

    from django.utils import timezone

    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    first = _post_json(client, url, MANUAL, "k-dead")
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get()
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status="in_flight", response_status=None, response_body="", claimed_at=timezone.now()
    )
    assert _post_json(client, url, MANUAL, "k-dead").status_code == 409
    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_STALE_SECONDS + 1)
    IdempotencyRecord.objects.filter(pk=record.pk).update(claimed_at=stale)
    retried = _post_json(client, url, MANUAL, "k-dead")
    assert retried.status_code == 201 and retried.json() == first.json()
    assert Repayment.objects.count() == 1
    assert IdempotencyRecord.objects.get().status == "done"
