"""A dealer's deposit paid through the payment provider's collection: an order for what the
open calls ask, the provider's signed callback posting it once on the dealer's deposit
sub-ledger (the same callback again changes nothing), another amount held with nothing posted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dealers.models.deposits import DealerDeposit
from dealers.services import staff_create
from servicing.adapters import payment_provider
from servicing.models import JournalLine
from servicing.models.deposits import DepositCall, DepositMovement, DepositPaymentOrder
from servicing.selectors.deposits import deposit_subledger_differences
from servicing.selectors.ledger import trial_balance
from servicing.services.deposits.calls import deposit_calls_raise
from servicing.services.deposits.online import deposit_payment_order_create
from servicing.services.deposits.receipts import DepositError
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal


@pytest.fixture
def dealer_admin(dealer):
    return staff_create(
        actor="seed", dealer=dealer, user=UserFactory(roles=["dealer_admin"]), role="dealer_admin"
    ).user


def test_a_deposit_paid_at_the_cashier_posts_once(dealer, today, dealer_admin, maker):
    deposit_calls_raise(as_of=today)  # grade B's ¥200,000 called
    with pytest.raises(DepositError) as exc:  # more than the calls ask
        deposit_payment_order_create(
            dealer_id=dealer.pk, amount="200000.01", actor=dealer_admin, idempotency_key="k0"
        )
    assert exc.value.field == "amount"
    with pytest.raises(DepositError) as exc:  # finance does not pay the dealer's deposit
        deposit_payment_order_create(
            dealer_id=dealer.pk, amount="1.00", actor=maker, idempotency_key="k0"
        )
    assert exc.value.code == "forbidden"
    order, pay_url = deposit_payment_order_create(
        dealer_id=dealer.pk, amount="200000.00", actor=dealer_admin, idempotency_key="k1"
    )
    again, _url = deposit_payment_order_create(
        dealer_id=dealer.pk, amount="200000.00", actor=dealer_admin, idempotency_key="k1"
    )
    assert again.pk == order.pk and order.provider_ref and order.provider_ref in pay_url

    provider = payment_provider()
    for _ in range(2):  # the provider calls back twice: posted once
        paid = provider.pay(provider_ref=order.provider_ref, amount=order.amount)
    assert paid.status == "paid" and paid.callback_count == 2
    movement = DepositMovement.objects.get(dealer_id=dealer.pk)
    assert (movement.kind, movement.reference, movement.amount) == (
        "receipt", order.provider_ref, D("200000.00"),
    )  # fmt: skip
    lines = JournalLine.objects.filter(entry_id=movement.journal_entry_id).order_by("side")
    assert [(x.account.code, x.side, x.amount, x.dealer_id) for x in lines] == [
        ("dealer_deposit", "C", D("200000.00"), dealer.pk),
        ("bank_clearing", "D", D("200000.00"), None),
    ]
    assert DepositCall.objects.get(dealer_id=dealer.pk).status == "received"
    assert DealerDeposit.objects.get(dealer=dealer).held == D("200000.00")
    assert deposit_subledger_differences() == []
    assert trial_balance().total == D("0.00")


def test_a_callback_for_another_amount_posts_nothing(dealer, today, dealer_admin):
    deposit_calls_raise(as_of=today)
    order, _url = deposit_payment_order_create(
        dealer_id=dealer.pk, amount="50000.00", actor=dealer_admin, idempotency_key="k2"
    )
    before = JournalLine.objects.count()
    held = payment_provider().pay(provider_ref=order.provider_ref, amount=D("49999.99"))
    assert (held.status, held.claimed_amount, held.movement_id) == ("held", D("49999.99"), None)
    assert JournalLine.objects.count() == before
    assert not DepositMovement.objects.exists()
    assert DepositCall.objects.get(dealer_id=dealer.pk).received == D("0.00")


def test_the_dealer_admin_pays_from_the_portal_at_the_cashier(client, dealer, today, dealer_admin):
    deposit_calls_raise(as_of=today)
    client.force_login(dealer_admin)
    home = client.get(reverse("dealers:portal_home")).content.decode()
    assert "在线缴纳保证金" in home
    to_cashier = client.post(reverse("servicing:dealer_deposit_pay"), {"token": "t1"})
    order = DepositPaymentOrder.objects.get()
    assert to_cashier.status_code == 302 and order.provider_ref in to_cashier["Location"]
    assert order.amount == D("200000.00")
    client.post(to_cashier["Location"], {"outcome": "success"})
    assert DealerDeposit.objects.get(dealer=dealer).held == D("200000.00")
    # a salesperson of the dealer cannot start one
    sales = staff_create(actor="seed", dealer=dealer, user=UserFactory(), role="dealer_sales")
    client.force_login(sales.user)
    assert client.post(reverse("servicing:dealer_deposit_pay"), {"token": "t2"}).status_code == 403
    assert DepositPaymentOrder.objects.count() == 1
