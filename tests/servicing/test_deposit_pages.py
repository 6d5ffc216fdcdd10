"""Finance's dealer deposit page and the portal's deposit figures: who may see and act, a
receipt recorded from the bank statement, a refund prepared by a maker and released by another
person, and the dealer's portal showing required / held / due in Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dealers.services import staff_create
from servicing.models.deposits import DepositMovement, DepositRefund
from servicing.services.deposits.calls import deposit_calls_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal


def test_the_page_needs_a_finance_role(client, dealer, today):
    for role in ("customer", "dealer_admin", "servicing_agent"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:deposit_list")).status_code == 403
        refused = client.post(
            reverse("servicing:deposit_receipt"),
            {"token": "r1", "dealer": dealer.pk, "amount": "1000.00", "bank_ref": "B1"},
        )
        assert refused.status_code == 403
    assert not DepositMovement.objects.exists()


def test_receipt_refund_and_release_through_the_page(client, dealer, today, maker, checker):
    deposit_calls_raise(as_of=today)
    client.force_login(maker)
    page = client.get(reverse("servicing:deposit_list")).content.decode()
    assert dealer.legal_name in page and "协议生效" in page and "¥200,000.00" in page
    bad = client.post(
        reverse("servicing:deposit_receipt"),
        {"token": "r0", "dealer": dealer.pk, "amount": "１０００", "bank_ref": "B1"},
    )
    assert bad.status_code == 400 and not DepositMovement.objects.exists()
    client.post(
        reverse("servicing:deposit_receipt"),
        {"token": "r1", "dealer": dealer.pk, "amount": "250,000.00", "bank_ref": "B1"},
    )
    assert DepositMovement.objects.get().amount == D("250000.00")
    too_much = client.post(
        reverse("servicing:deposit_refund"),
        {"token": "f0", "dealer": dealer.pk, "amount": "50000.01", "reason": "多缴"},
        follow=True,
    )
    assert "可退还保证金为 50000.00" in too_much.content.decode()
    assert not DepositRefund.objects.exists()
    client.post(
        reverse("servicing:deposit_refund"),
        {"token": "f1", "dealer": dealer.pk, "amount": "50000.00", "reason": "多缴退还"},
    )
    refund = DepositRefund.objects.get()
    release = reverse("servicing:deposit_refund_release", args=[refund.pk])
    # the maker has no release button and cannot release by posting
    assert (
        f"release-{refund.pk}" not in client.get(reverse("servicing:deposit_list")).content.decode()
    )
    assert client.post(release, {"token": "a0", "confirm": "1"}).status_code == 403
    client.force_login(checker)
    assert f"release-{refund.pk}" in client.get(reverse("servicing:deposit_list")).content.decode()
    for token in ("a1", "a1"):  # a double submit releases once
        client.post(release, {"token": token, "confirm": "1"})
    refund.refresh_from_db()
    assert (refund.status, refund.approved_by_id) == ("released", checker.pk)


def test_the_portal_shows_the_deposit(client, dealer, today, maker):
    deposit_calls_raise(as_of=today)
    staff = staff_create(actor="seed", dealer=dealer, user=UserFactory(), role="dealer_admin")
    client.force_login(staff.user)
    html = client.get(reverse("dealers:portal_home")).content.decode()
    assert "保证金" in html and "待补缴" in html
    assert html.count("¥200,000.00") == 2  # required and due; nothing held yet
