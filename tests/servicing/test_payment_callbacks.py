"""The payment callback checked against the order (issue 14): a mismatched amount is parked in
unidentified receipts with an alert, never posted; a success after a final state raises an alert;
orders are capped by what the loan still owes; a callback body that is not an object gets 400."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.roles import Role
from servicing.adapters import SandboxPaymentProvider
from servicing.models import JournalEntry
from servicing.models.repayments import PaymentAlert, PaymentOrder, Repayment
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.repayments.guards import RepaymentError
from servicing.services.repayments.online import (
    payment_callback_handle,
    payment_ceiling,
    payment_order_create,
)
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
CALLBACK = "/api/v1/loans/payments/callback/"


def _callback(client, payload: dict):
    headers, body = SandboxPaymentProvider().callback_signed(payload)
    return client.post(CALLBACK, body, content_type="application/json", headers=headers)


def _unidentified() -> D:
    """Credit balance of unidentified receipts (待查明款项), from the ledger's lines."""
    from django.db.models import Sum

    from servicing.models import JournalLine

    lines = JournalLine.objects.filter(account__code="unidentified_receipts")
    credit = lines.filter(side="C").aggregate(s=Sum("amount"))["s"] or D("0")
    debit = lines.filter(side="D").aggregate(s=Sum("amount"))["s"] or D("0")
    return credit - debit


def test_a_callback_amount_other_than_the_order_is_parked_not_posted(client):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, _ = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount="100.00")
    before = loan_balances(loan_id=loan.pk)
    payload = SandboxPaymentProvider().callback_payload(
        provider_ref=order.provider_ref, amount=D("250000.00")
    )
    for _ in range(2):  # the provider repeats itself: one alert, one parking
        response = _callback(client, payload)
        assert response.status_code == 200
        assert response.json() == {
            "provider_ref": order.provider_ref,
            "status": "held",
            "repayment": None,
        }
    order.refresh_from_db()
    assert (order.status, order.callback_count, order.repayment_id) == ("held", 2, None)
    assert Repayment.objects.count() == 0
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.order_amount, alert.claimed_amount, alert.status) == (
        "amount_mismatch",
        D("100.00"),
        D("250000.00"),
        "open",
    )
    # the claimed money is booked to unidentified receipts, nothing on the loan's accounts
    assert _unidentified() == D("250000.00")
    assert JournalEntry.objects.get(pk=alert.parked_entry_id).loan_id is None
    assert loan_balances(loan_id=loan.pk) == before
    assert rows(loan)[0].status != "paid"
    assert trial_balance().total == 0
    assert_ledger_matches(loan)


def test_a_success_after_a_failure_raises_an_alert_and_is_never_dropped(client):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, _ = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount="500.00")
    provider = SandboxPaymentProvider()
    failed = provider.callback_payload(
        provider_ref=order.provider_ref, amount=D("500.00"), success=False
    )
    assert _callback(client, failed).json()["status"] == "failed"
    assert _callback(client, failed).json()["status"] == "failed"  # a repeat: no alert
    assert PaymentAlert.objects.count() == 0
    before = loan_balances(loan_id=loan.pk)
    late = provider.callback_payload(provider_ref=order.provider_ref, amount=D("500.00"))
    assert _callback(client, late).json()["status"] == "failed"
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.order_status, alert.callback_status, alert.claimed_amount) == (
        "after_final_state",
        "failed",
        "success",
        D("500.00"),
    )
    assert _unidentified() == D("500.00")
    assert Repayment.objects.count() == 0 and loan_balances(loan_id=loan.pk) == before
    assert trial_balance().total == 0


def test_a_failure_after_a_success_raises_an_alert_and_keeps_the_posting():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, _ = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount="500.00")
    provider = SandboxPaymentProvider()
    provider.pay(provider_ref=order.provider_ref, amount=order.amount)
    after = loan_balances(loan_id=loan.pk)
    provider.pay(provider_ref=order.provider_ref, amount=order.amount, success=False)
    order.refresh_from_db()
    assert order.status == "paid" and Repayment.objects.count() == 1
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.callback_status, alert.parked_entry_id) == (
        "after_final_state",
        "failed",
        None,
    )
    assert loan_balances(loan_id=loan.pk) == after and _unidentified() == D("0")


def test_orders_are_capped_by_what_the_loan_still_owes(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340000")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    owed = sum((r.amount_unpaid for r in rows(loan)), D("0"))
    assert payment_ceiling(loan=loan) == owed
    client.force_login(customer)
    url = f"/api/v1/loans/{loan.pk}/payments/"
    too_much = client.post(
        url, {"amount": "99999999.99"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert too_much.status_code == 400
    assert too_much.json()["code"] == "above_payoff"
    assert f"¥{owed:,.2f}" in too_much.json()["errors"]["amount"][0]
    just_over = client.post(
        url,
        {"amount": str(owed + D("0.01"))},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p2",
    )
    assert just_over.status_code == 400 and PaymentOrder.objects.count() == 0
    exact = client.post(
        url, {"amount": str(owed)}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p3"
    )
    assert exact.status_code == 201 and exact.json()["amount"] == str(owed)
    with pytest.raises(RepaymentError) as exc:
        payment_order_create(loan_id=loan.pk, actor=customer, amount="500000.00")
    assert exc.value.code == "above_payoff" and PaymentOrder.objects.count() == 1


@pytest.mark.parametrize("body", ['["provider_ref"]', '"paid"', "42", "null"])
def test_a_callback_body_that_is_not_an_object_is_refused_not_a_500(client, body):
    # signed properly, so the refusal is for the body's shape, not the signature
    from autofin.integrations.http import signed_headers

    provider = SandboxPaymentProvider()
    headers = signed_headers(
        key_id=provider.key_id, secret=provider.secret, method="POST", path=CALLBACK,
        body=body.encode(),
    )  # fmt: skip
    orders = PaymentOrder.objects.count()
    response = client.post(CALLBACK, body, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"
    assert PaymentOrder.objects.count() == orders and Repayment.objects.count() == 0


def test_the_service_refuses_a_payload_that_is_not_a_dict():
    with pytest.raises(RepaymentError) as exc:
        payment_callback_handle(payload=["x"])
    assert exc.value.code == "bad_payload"
