"""Commission payouts over the API: finance sees every payout, a dealer admin only its own
dealer's; prepare and release with the page's money actions and maker-checker; refusals change
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dealers.models.dealers import Dealer
from dealers.seed import uscc_make
from dealers.services import agreement_create, staff_create
from servicing.models.commission_payouts import CommissionPayout
from servicing.services.commissions.payouts import commission_payout_invoice_record
from tests.factories import UserFactory
from tests.servicing.commission_support import accrue, month_end, on

pytestmark = pytest.mark.usefixtures("disbursement_settings")


@pytest.fixture
def payout(dealer, maker):
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="percent",
        commission_rate="0.01",
        effective_from=dt.date(2026, 1, 1),
    )
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    payout = month_end(dealer, dt.date(2026, 1, 1))[1]
    return commission_payout_invoice_record(
        payout_id=payout.pk, actor=maker, invoice_number="12345678",
        invoice_amount=payout.amount, invoice_tax="56.60",
    )  # fmt: skip


def post(client, name: str, payout, key: str):
    url = reverse(f"servicing-api:commission-payout-{name}", args=[payout.pk])
    return client.post(url, HTTP_IDEMPOTENCY_KEY=key)


def test_finance_lists_a_dealer_admin_sees_only_its_own(client, payout, dealer, maker):
    client.force_login(maker)
    listed = client.get(reverse("servicing-api:commission-payout-list")).json()
    assert [(p["id"], p["amount"], p["status"]) for p in listed] == [
        (payout.pk, "1000.00", "draft")
    ]
    admin = staff_create(actor="seed", dealer=dealer, user=UserFactory(), role="dealer_admin")
    client.force_login(admin.user)
    assert [
        p["id"] for p in client.get(reverse("servicing-api:commission-payout-list")).json()
    ] == [payout.pk]
    other = staff_create(
        actor="seed", dealer=_other_dealer(dealer), user=UserFactory(),
        role="dealer_admin",
    )  # fmt: skip
    client.force_login(other.user)
    assert client.get(reverse("servicing-api:commission-payout-list")).json() == []
    detail = reverse("servicing-api:commission-payout-detail", args=[payout.pk])
    assert client.get(detail).status_code == 404
    assert post(client, "prepare", payout, "o1").status_code == 403
    client.force_login(UserFactory(roles=["customer"]))
    assert client.get(reverse("servicing-api:commission-payout-list")).status_code == 403


def _other_dealer(dealer):
    return Dealer.objects.create(
        legal_name=f"{dealer.legal_name}二号", uscc=uscc_make("310115", 7777),
        dealer_type="four_s", province="上海市", city="上海市", status="active",
        contact_phone="13800138001",
    )  # fmt: skip


def test_prepare_and_release_are_maker_checked(client, payout, maker, checker):
    client.force_login(maker)
    prepared = post(client, "prepare", payout, "p1")
    assert prepared.status_code == 200 and prepared.json()["status"] == "prepared"
    assert post(client, "release", payout, "r0").status_code == 403  # an operator cannot release
    client.force_login(checker)
    released = post(client, "release", payout, "r1")
    assert released.status_code == 200 and released.json()["status"] == "released"
    again = post(client, "release", payout, "r1")  # the same key: the first answer
    assert again.json()["status"] == "released"
    payout.refresh_from_db()
    assert (payout.status, payout.prepared_by_id, payout.approved_by_id, payout.attempt_no) == (
        "released", maker.pk, checker.pk, 1,
    )  # fmt: skip


def test_the_maker_cannot_release_their_own(client, payout, checker):
    client.force_login(checker)
    assert post(client, "prepare", payout, "p1").status_code == 200
    refused = post(client, "release", payout, "r1")
    assert refused.status_code == 400 and refused.json()["code"] == "same_user"
    assert CommissionPayout.objects.get(pk=payout.pk).status == "prepared"
