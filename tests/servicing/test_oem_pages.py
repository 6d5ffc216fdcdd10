"""Finance's OEM subsidy claims page (/finance/oem-claims/): who may see and act, a claim sent,
its disputed line accepted, a receipt recorded, the claim file downloaded, ageing shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dealers.seed import uscc_make
from servicing.models.oem_claims import OemAgreement, OemClaim, OemClaimReceipt
from servicing.services.oem.claims import oem_claims_generate
from tests.factories import UserFactory
from tests.servicing.loan_helpers import set_day
from tests.servicing.oem_support import ZERO, D, books_agree, recognise, subsidised_loan

pytestmark = pytest.mark.django_db

FEB_END = dt.date(2026, 2, 28)


def _claim() -> OemClaim:
    loans = [subsidised_loan(vin="LSVAA0000000011A1"), subsidised_loan(vin="LSVAA0000000012B7")]
    OemAgreement.objects.update(taxpayer_id=uscc_make("310000", 99))
    recognise(dt.date(2026, 1, 15), FEB_END, loans)
    set_day(FEB_END)
    oem_claims_generate(on=FEB_END, actor="eod")
    return OemClaim.objects.get()


def test_the_page_needs_a_finance_role(client):
    claim = _claim()
    for role in ("customer", "dealer_admin", "servicing_agent"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:oem_claim_list")).status_code == 403
        refused = client.post(
            reverse("servicing:oem_claim_receipt", args=[claim.pk]),
            {"token": "r1", "amount": "100.00", "bank_ref": "B1"},
        )
        assert refused.status_code == 403
    assert not OemClaimReceipt.objects.exists()


def test_send_dispute_receipt_and_claim_file_through_the_page(client, maker):
    claim = _claim()
    client.force_login(maker)
    page = client.get(reverse("servicing:oem_claim_list")).content.decode()
    assert "星辰汽车" in page and "草稿" in page and "¥297.02" in page and "90 天以上" in page
    client.post(reverse("servicing:oem_claim_send", args=[claim.pk]), {"token": "s1"})
    claim.refresh_from_db()
    assert claim.status == "partly_disputed"
    detail = client.get(reverse("servicing:oem_claim_detail", args=[claim.pk])).content.decode()
    disputed = claim.lines.get(status="disputed")
    assert "贴息期限与协议不符" in detail and f"accept-{disputed.pk}" in detail
    client.post(reverse("servicing:oem_claim_line", args=[disputed.pk]),
                {"token": "l1", "resolution": "accept"})  # fmt: skip
    claim.refresh_from_db()
    assert (claim.status, claim.written_down) == ("confirmed", D("14.85"))
    detail = client.get(reverse("servicing:oem_claim_detail", args=[claim.pk])).content.decode()
    assert "已开具贷款服务蓝字发票" in detail and "¥282.17" in detail
    for token in ("r1", "r1"):  # a double submit records once
        client.post(reverse("servicing:oem_claim_receipt", args=[claim.pk]),
                    {"token": token, "amount": "282.17", "bank_ref": "B-77"})  # fmt: skip
    claim.refresh_from_db()
    assert (claim.status, claim.outstanding, OemClaimReceipt.objects.count()) == ("paid", ZERO, 1)
    books_agree()
    csv = client.get(reverse("servicing:oem_claim_csv", args=[claim.pk]))
    text = csv.content.decode("utf-8-sig")
    assert (
        text.splitlines()[0]
        == "合同编号,车架号,客户利率,资金方利率,本期贴息,状态,厂商核定金额,争议原因"
    )
    assert "LSVAA0000000012B7" in text and "133.66" in text


def test_a_returned_invoice_is_reversed_with_a_red_letter_one(client, maker):
    from servicing.models.invoices import Invoice  # noqa: PLC0415
    from servicing.selectors.ledger import account_balance  # noqa: PLC0415

    claim = _claim()
    client.force_login(maker)
    client.post(reverse("servicing:oem_claim_send", args=[claim.pk]), {"token": "s1"})
    line = claim.lines.get(status="disputed")
    client.post(reverse("servicing:oem_claim_line", args=[line.pk]),
                {"token": "l1", "resolution": "resubmit"})  # fmt: skip
    assert account_balance(account_code="vat_output") == D("16.81")  # 297.02 x 6 / 106
    url = reverse("servicing:oem_claim_invoice_reverse", args=[claim.pk])
    client.post(url, {"token": "v0"})  # not confirmed: nothing
    assert Invoice.objects.count() == 1
    for token in ("v1", "v1"):
        client.post(url, {"token": token, "confirm": "1"})
    red = Invoice.objects.get(colour="red")
    assert (red.total, red.tax) == (D("-297.02"), D("-16.81"))
    assert account_balance(account_code="vat_output") == ZERO
