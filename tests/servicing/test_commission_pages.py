"""Finance's commission payout pages: who sees them, the invoice form's refusals (nothing
changed), the maker who cannot release, the checker who sees the account and the amount, and a
double submit that releases once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dealers.services import agreement_create
from servicing.models.commission_payouts import CommissionPayout
from tests.factories import UserFactory
from tests.servicing.commission_support import accrue, month_end, on

pytestmark = pytest.mark.usefixtures("disbursement_settings")


@pytest.fixture
def payout(dealer):
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
    return month_end(dealer, dt.date(2026, 1, 1))[1]


def test_pages_need_a_finance_role(client, payout):
    for role in ("customer", "dealer_admin", "servicing_agent"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:commission_payout_list")).status_code == 403
        url = reverse("servicing:commission_payout_detail", args=[payout.pk])
        assert client.get(url).status_code == 403
        refused = client.post(
            reverse("servicing:commission_payout_prepare", args=[payout.pk]), {"token": "x1"}
        )
        assert refused.status_code == 403
    payout.refresh_from_db()
    assert payout.status == "held"


def test_invoice_prepare_and_release_through_the_pages(client, payout, maker, checker):
    client.force_login(maker)
    html = client.get(reverse("servicing:commission_payout_list")).content.decode()
    assert payout.statement_number in html and "待发票" in html
    detail = reverse("servicing:commission_payout_detail", args=[payout.pk])
    invoice = reverse("servicing:commission_payout_invoice", args=[payout.pk])
    bad = client.post(
        invoice,
        {"token": "i0", "invoice_number": "12345", "invoice_amount": "1000", "invoice_tax": "56.6"},
        follow=True,
    )
    assert "发票号码应为 8 位或 20 位数字" in bad.content.decode()
    wrong = client.post(
        invoice,
        {
            "token": "i1",
            "invoice_number": "12345678",
            "invoice_amount": "１０００",
            "invoice_tax": "0",
        },
    )
    assert wrong.status_code == 200 and "请输入有效数字" in wrong.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.invoice_number) == ("held", "")
    client.post(
        invoice,
        {
            "token": "i2",
            "invoice_number": "12345678",
            "invoice_amount": "1,000.00",
            "invoice_tax": "56.60",
        },
    )
    client.post(reverse("servicing:commission_payout_prepare", args=[payout.pk]), {"token": "p1"})
    payout.refresh_from_db()
    assert payout.status == "prepared"
    html = client.get(detail).content.decode()
    assert 'id="approve"' not in html  # the maker cannot release
    approve = reverse("servicing:commission_payout_approve", args=[payout.pk])
    assert client.post(approve, {"token": "a0", "confirm": "1"}).status_code == 403

    client.force_login(checker)
    html = client.get(detail).content.decode()
    assert 'id="approve"' in html
    assert payout.account_number_masked in html and "¥1,000.00" in html
    client.post(approve, {"token": "a1"})  # not confirmed: nothing happens
    payout.refresh_from_db()
    assert payout.status == "prepared"
    for _ in range(2):  # a double submit releases once
        response = client.post(approve, {"token": "a2", "confirm": "1"})
        assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.attempt_no, payout.approved_by_id) == (
        "released",
        1,
        checker.pk,
    )
    assert CommissionPayout.objects.filter(status="released").count() == 1
