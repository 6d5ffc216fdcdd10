"""The shared e-fapiao service (servicing.services.invoicing): the tax split of a tax-inclusive
total, exact per invoice; the dated VAT table; the buyer's taxpayer ID checked before the
platform is asked; the sandbox platform's refusal; a red-letter invoice reversing a blue one."""

from __future__ import annotations

import datetime as dt

import pytest

from dealers.seed import uscc_make
from servicing.models.invoices import Invoice
from servicing.services.invoicing import InvoiceError, invoice_issue, invoice_reverse, vat_rate
from tests.servicing.oem_support import D

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
BUYER_ID = uscc_make("310000", 77)


def _issue(total: str, *, buyer="星辰汽车", buyer_id=BUYER_ID, source="1", kind="loan_service"):
    return invoice_issue(
        source_type="test", source_id=source, kind=kind, item_name="*贷款服务*贴息收入",
        buyer_name=buyer, buyer_taxpayer_id=buyer_id, total=D(total), on=DAY, actor="finance",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("total", "tax", "amount"),
    [
        ("1060.00", "60.00", "1000.00"),
        ("297.52", "16.84", "280.68"),  # 16.8407
        ("0.53", "0.03", "0.50"),  # 0.0300
        ("17.67", "1.00", "16.67"),  # 1.000188
        ("8.75", "0.50", "8.25"),  # 0.495283 -> 0.50 (half up at the fen)
    ],
)
def test_the_tax_of_a_loan_service_invoice_is_exact(total, tax, amount):
    invoice = _issue(total)
    assert (invoice.total, invoice.tax, invoice.amount, invoice.rate) == (
        D(total), D(tax), D(amount), D("0.0600"),
    )  # fmt: skip
    assert len(invoice.number) == 20 and invoice.colour == "blue"
    assert _issue(total) == invoice  # one blue invoice per source


def test_the_vat_table_is_dated_and_a_missing_rate_is_a_clear_error():
    assert vat_rate(kind="tangible_lease", on=dt.date(2019, 3, 31)) == D("0.1600")
    assert vat_rate(kind="tangible_lease", on=dt.date(2019, 4, 1)) == D("0.1300")
    with pytest.raises(InvoiceError, match="2015-01-01 适用的税率"):
        vat_rate(kind="loan_service", on=dt.date(2015, 1, 1))


@pytest.mark.parametrize(
    ("buyer_id", "buyer"),
    [
        ("91310000MA1FL00001", "星辰汽车"),  # wrong check character
        ("12345", "星辰汽车"),
        (BUYER_ID, "拒开测试厂商"),  # the sandbox platform refuses this buyer
    ],
)
def test_an_invalid_or_refused_buyer_is_not_invoiced(buyer_id, buyer):
    with pytest.raises(InvoiceError):
        _issue("1060.00", buyer=buyer, buyer_id=buyer_id)
    assert not Invoice.objects.exists()


def test_a_person_buyer_by_id_number_and_a_red_letter_reversal():
    blue = _issue("1060.00", buyer="张三", buyer_id="11010519491231002X")
    red = invoice_reverse(invoice_id=blue.pk, on=DAY, actor="finance")
    assert (red.colour, red.total, red.tax, red.amount, red.reverses_id) == (
        "red", D("-1060.00"), D("-60.00"), D("-1000.00"), blue.pk,
    )  # fmt: skip
    assert red.number != blue.number
    assert invoice_reverse(invoice_id=blue.pk, on=DAY, actor="finance") == red
