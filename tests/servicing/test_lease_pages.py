"""The lease pages (issue 19): the customer's rent schedule with the VAT inside each rent, their
invoices and each invoice's PDF (their own only); the finance reports' figures (output VAT by
month, blue − red, by kind and rate; the roll-forward of 未实现融资收益 from the ledger); the
asset register's search and filters; and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from autofin.roles import Role
from servicing.invoice_documents import cny_capitals, invoice_html
from servicing.models.invoices import Invoice, VatRate
from servicing.models.leases import InsurancePolicy, LeaseAsset
from servicing.models.ledger import AccountCode as A
from servicing.selectors.leases import (
    invoices_of_loan,
    unearned_income_rollforward,
    vat_output_month,
)
from servicing.services.invoicing import invoice_issue, invoice_reverse
from servicing.services.leases.rent_tax import rents_with_tax
from servicing.services.ledger.posting import journal_post
from tests.factories import UserFactory
from tests.servicing.lease_ui_support import BUYER_ID, D, lease_make, rent_invoice
from tests.servicing.loan_helpers import make_loan, set_day


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("6084.39", "陆仟零捌拾肆元叁角玖分"),
        ("200000.00", "贰拾万元整"),
        ("100050.00", "壹拾万零伍拾元整"),
        ("10001000.50", "壹仟万壹仟元伍角整"),
        ("0.05", "伍分"),
        ("1000.05", "壹仟元零伍分"),
        ("-699.97", "负数陆佰玖拾玖元玖角柒分"),
    ],
)
def test_the_total_in_capitals(amount, text):
    assert cny_capitals(D(amount)) == text


@pytest.mark.django_db
def test_the_customer_sees_rent_and_tax_and_downloads_only_their_own_invoices(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340001")
    lease = lease_make(contract_type="direct_lease", customer=customer)
    other = lease_make(contract_type="direct_lease")
    set_day(dt.date(2026, 3, 20))
    first, second = rent_invoice(lease, 1), rent_invoice(lease, 2)
    red = invoice_reverse(invoice_id=second.pk, on=dt.date(2026, 3, 20), actor="test")
    theirs = rent_invoice(other, 1)
    assert (first.total, first.tax, first.amount) == (D("6084.39"), D("699.97"), D("5384.42"))
    assert list(invoices_of_loan(loan=lease)) == [first, second, red]
    assert list(invoices_of_loan(loan=other)) == [theirs]

    client.force_login(customer)
    page = client.get(reverse("servicing:my_loan_detail", args=[lease.pk])).content.decode()
    assert "租金计划" in page and "还款计划" not in page and "立即支付租金" in page
    # rent 1: 6,084.39 = principal 5,084.39 + interest 1,000.00, of which tax 699.97 (13/113)
    rent1 = page.split('data-testid="rent-1"')[1].split("</tr>")[0]
    for figure in ("¥6,084.39", "¥5,084.39", "¥1,000.00", "¥699.97", "13%"):
        assert figure in rent1
    assert first.number in page and red.number in page and theirs.number not in page
    assert "红字发票" in page and "-¥6,084.39" in page

    pdf = client.get(reverse("servicing:my_invoice_pdf", args=[lease.pk, first.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert first.number in pdf["Content-Disposition"]
    # another's invoice: not through her loan, not through theirs
    assert (
        client.get(reverse("servicing:my_invoice_pdf", args=[lease.pk, theirs.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("servicing:my_invoice_pdf", args=[other.pk, theirs.pk])).status_code
        == 404
    )
    assert client.get(reverse("servicing:my_loan_detail", args=[other.pk])).status_code == 404
    client.logout()
    anonymous = client.get(reverse("servicing:my_invoice_pdf", args=[lease.pk, first.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # nothing was issued or changed by the refusals
    assert Invoice.objects.count() == 4


@pytest.mark.django_db
def test_the_invoice_pdf_carries_the_fapiao_fields():
    lease = lease_make(contract_type="direct_lease")
    blue = rent_invoice(lease, 1)
    red = invoice_reverse(invoice_id=blue.pk, on=dt.date(2026, 2, 20), actor="test")
    html = invoice_html(blue, contract_ref=lease.contract_ref)
    for field in ("电子发票（普通发票）", blue.number, "2026年02月15日", "张三", BUYER_ID,
                  "AutoFin 汽车金融有限公司", "91310000MA1FL0000N", "*有形动产融资租赁服务*租金",
                  "5384.42", "13%", "699.97", "¥6084.39", "陆仟零捌拾肆元叁角玖分",
                  lease.contract_ref):  # fmt: skip
        assert field in html, field
    red_html = invoice_html(red)
    assert "红字发票" in red_html and blue.number in red_html and "-699.97" in red_html


@pytest.mark.django_db
def test_a_sale_leaseback_is_taxed_on_its_interest_only(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340002")
    lease = lease_make(contract_type="sale_leaseback", customer=customer)
    invoice = rent_invoice(lease, 1)
    assert (invoice.total, invoice.tax, invoice.rate) == (D("1000.00"), D("56.60"), D("0.0600"))
    client.force_login(customer)
    page = client.get(reverse("servicing:my_loan_detail", args=[lease.pk])).content.decode()
    rent1 = page.split('data-testid="rent-1"')[1].split("</tr>")[0]
    assert "¥6,084.39" in rent1 and "¥56.60" in rent1 and "6%" in rent1
    assert "仅就租金中的利息部分计税" in page
    # a due date the VAT table does not cover: no tax made up, the page says the rate is missing
    VatRate.objects.filter(kind="loan_service", effective_to__isnull=True).update(
        effective_to=dt.date(2026, 3, 1)
    )
    rents = rents_with_tax(loan=lease, rows=list(lease.schedule_rows()))
    assert [(r.rate, r.tax) for r in rents[:2]] == [(D("0.0600"), D("56.60")), (None, None)]
    page = client.get(reverse("servicing:my_loan_detail", args=[lease.pk])).content.decode()
    assert "税率待维护" in page.split('data-testid="rent-2"')[1].split("</tr>")[0]


@pytest.mark.django_db
def test_a_plain_loan_keeps_its_repayment_schedule(client):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340003")
    loan = make_loan(customer=customer)
    client.force_login(customer)
    page = client.get(reverse("servicing:my_loan_detail", args=[loan.pk])).content.decode()
    assert "还款计划" in page and "租金计划" not in page and "电子发票" not in page


def _post(day, source_type, key, lines):
    journal_post(
        business_date=day, source_type=source_type, source_id=key, lines=lines,
        idempotency_key=f"test-{key}", actor="test",
    )  # fmt: skip


@pytest.mark.django_db
def test_the_months_output_vat_and_the_unearned_income_roll_forward(client):
    direct = lease_make(contract_type="direct_lease")
    slb = lease_make(contract_type="sale_leaseback")
    feb = [rent_invoice(direct, 1), rent_invoice(slb, 1)]  # due 2026-02-15
    march = rent_invoice(direct, 2)  # due 2026-03-15, another month
    invoice_reverse(invoice_id=feb[0].pk, on=dt.date(2026, 2, 27), actor="test")
    rent_invoice_again = invoice_issue(
        source_type="lease_rent", source_id=f"{direct.pk}:2026-02", kind="tangible_lease",
        item_name="*有形动产融资租赁服务*租金", buyer_name="张三", buyer_taxpayer_id=BUYER_ID,
        total=D("6084.39"), on=dt.date(2026, 2, 28), actor="test",
    )  # fmt: skip
    invoice_issue(  # not a lease invoice: not in the lease VAT report
        source_type="oem_claim", source_id="1", kind="loan_service", item_name="*贷款服务*贴息",
        buyer_name="星辰汽车", buyer_taxpayer_id=BUYER_ID, total=D("1060.00"),
        on=dt.date(2026, 2, 20), actor="test",
    )  # fmt: skip
    vat = vat_output_month(2026, 2)
    lines = {(line.kind, line.rate): line for line in vat.lines}
    tangible = lines[("tangible_lease", D("0.1300"))]
    assert (tangible.blue_count, tangible.blue_tax, tangible.red_count, tangible.red_tax) == (
        2, D("1399.94"), 1, D("-699.97"),
    )  # fmt: skip
    assert (tangible.amount, tangible.tax) == (D("5384.42"), D("699.97"))
    loan_service = lines[("loan_service", D("0.0600"))]
    assert (loan_service.blue_count, loan_service.tax, loan_service.amount) == (
        1, D("56.60"), D("943.40"),
    )  # fmt: skip
    assert vat.tax == D("756.57") and vat.deduction_tax == D("0") and vat.payable_tax == vat.tax
    assert vat_output_month(2026, 3).tax == march.tax == D("699.97")
    assert rent_invoice_again in invoices_of_loan(loan=direct)

    # the gross-up and its releases, on the ledger's unearned_finance_income lines
    gross = [(A.LEASE_PAYMENTS_UNEARNED, "D", D("19031.80"), direct.pk),
             (A.UNEARNED_FINANCE_INCOME, "C", D("19031.80"), direct.pk)]  # fmt: skip
    _post(dt.date(2026, 1, 15), "disbursement", "g1", gross)
    _post(dt.date(2026, 2, 10), "disbursement", "g2",
          [(code, side, D("12000.00"), slb.pk) for code, side, _a, _l in gross])  # fmt: skip
    release = [(A.UNEARNED_FINANCE_INCOME, "D", D("1000.00"), direct.pk),
               (A.LEASE_PAYMENTS_UNEARNED, "C", D("1000.00"), direct.pk)]  # fmt: skip
    _post(
        dt.date(2026, 1, 31),
        "accrual",
        "a1",
        [(c, s, D("533.33"), lid) for c, s, _a, lid in release],
    )
    _post(dt.date(2026, 2, 28), "accrual", "a2", release)
    _post(dt.date(2026, 2, 28), "early_settlement", "t1",
          [(c, s, D("300.00"), slb.pk) for c, s, _a, _l in release])  # fmt: skip
    roll = unearned_income_rollforward(2026, 2)
    assert (roll.opening, roll.new_leases, roll.released_by_accrual,
            roll.released_by_termination, roll.other, roll.closing) == (
        D("18498.47"), D("12000.00"), D("1000.00"), D("300.00"), D("0.00"), D("29198.47"),
    )  # fmt: skip
    assert roll.opening + roll.new_leases - roll.released_by_accrual - (
        roll.released_by_termination
    ) == roll.closing  # fmt: skip

    finance = UserFactory(roles=[Role.FINANCE_OPERATOR])
    client.force_login(finance)
    page = client.get(reverse("servicing:lease_reports_month", args=[2026, 2])).content.decode()
    assert "¥756.57" in page and "¥29,198.47" in page and "¥18,498.47" in page
    assert direct.lease_asset.vin in page
    csv = client.get(reverse("servicing:lease_vat_csv", args=[2026, 2]))
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert (
        "有形动产融资租赁服务,0.1300,2,10768.84,1399.94,1,-5384.42,-699.97,5384.42,699.97" in text
    )
    assert text.splitlines()[-3].endswith(",756.57") and text.splitlines()[-1].endswith(",756.57")
    unearned = b"".join(
        client.get(reverse("servicing:lease_unearned_csv", args=[2026, 2])).streaming_content
    ).decode("utf-8-sig")
    assert "期末余额,29198.47" in unearned
    book = b"".join(
        client.get(reverse("servicing:lease_book_csv", args=[2026, 2])).streaming_content
    ).decode("utf-8-sig")
    assert direct.lease_asset.vin in book and "直租" in book and "售后回租" in book


@pytest.mark.django_db
def test_who_may_see_the_reports_and_the_register(client):
    lease = lease_make(contract_type="direct_lease", plate="沪B99999")
    returned = lease_make(contract_type="sale_leaseback", status="returned",
                          registration_status="mortgaged")  # fmt: skip
    InsurancePolicy.objects.create(
        loan=lease, vin=lease.lease_asset.vin, insurer_name="测试财产保险", policy_number="P001",
        premium=D("4800.00"), starts_on=dt.date(2026, 1, 15), ends_on=dt.date(2027, 1, 14),
        beneficiary_name="AutoFin 汽车金融有限公司", lender_is_beneficiary=True,
    )  # fmt: skip
    reports = reverse("servicing:lease_reports_month", args=[2026, 2])
    register = reverse("servicing:lease_asset_list")
    for role in (Role.CUSTOMER, Role.SERVICING_AGENT, Role.DEALER_SALES):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reports).status_code == 403
        assert client.get(reverse("servicing:lease_vat_csv", args=[2026, 2])).status_code == 403
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.get(register).status_code == 403
    assert client.get(reverse("servicing:loan_detail", args=[lease.pk])).status_code == 403

    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    page = client.get(register, {"q": lease.lease_asset.vin}).content.decode()
    assert lease.contract_ref in page and returned.contract_ref not in page
    page = client.get(register, {"q": "沪B99999"}).content.decode()
    assert lease.contract_ref in page and returned.contract_ref not in page
    page = client.get(
        register, {"status": "returned", "registration": "mortgaged"}
    ).content.decode()
    assert returned.contract_ref in page and lease.contract_ref not in page
    page = client.get(register, {"status": "nonsense"}).content.decode()  # ignored, not an error
    assert returned.contract_ref in page and lease.contract_ref in page

    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    page = client.get(reverse("servicing:loan_detail", args=[lease.pk])).content.decode()
    for text in ("租赁资产", lease.lease_asset.vin, "待登记",
                 "¥23,008.85", "测试财产保险", "P001", "直租"):  # fmt: skip
        assert text in page, text
    invoice = rent_invoice(lease, 1)
    pdf = client.get(reverse("servicing:loan_invoice_pdf", args=[lease.pk, invoice.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.get(
            reverse("servicing:loan_invoice_pdf", args=[returned.pk, invoice.pk])
        ).status_code
        == 404
    )
    assert LeaseAsset.objects.count() == 2
