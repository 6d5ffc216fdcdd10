"""Lease accounting, rent VAT and the nightly invoicing (issue 19, decision 0014), to the fen.

The worked example: 直租 ¥200,000 over 36 months, equal rents at 6 %/yr (30/360), 13 % VAT
inside the rent: rent 6,084.39 (the last 6,084.29); rent 1 = principal 5,084.39 + interest
1,000.00, tax 699.97 = principal tax 584.93 + interest tax 115.04; the deferred output VAT
23,008.85 = round(200,000 x 13/113) is moved out rent by rent, the last rent taking the rest.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

import pytest
from django.db.models import Sum

from autofin.crypto import encrypt
from origination.models.applications import Applicant
from servicing.models import JournalEntry
from servicing.models.invoices import Invoice, VatRate
from servicing.models.lease_invoices import LeaseInvoiceLine, LeaseInvoiceRefusal
from servicing.models.repayments import RepaymentAllocation
from servicing.selectors.leases import vat_output_month
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.invoicing import InvoiceError, vat_rate
from servicing.services.leases.invoicing import lease_rent_invoice, rents_vat
from servicing.services.repayments.posting import repayment_post
from servicing.services.settlement.early import payoff_quote_issue
from tests.servicing.lease_support import ZERO, D, books_reconcile, lease_funded, nights
from tests.servicing.loan_helpers import set_day

pytestmark = pytest.mark.django_db

GOOD_ID = "440304199001011233"  # a valid 居民身份证号 (GB 11643 check digit)
BAD_ID = "440304199001011234"  # the same with a wrong check digit


def _lessee_id(loan, id_number: str) -> None:
    Applicant.objects.filter(application_id=loan.application_id, role="primary").update(
        id_number_enc=encrypt(id_number)
    )


def _state() -> tuple[int, int, int]:
    return Invoice.objects.count(), LeaseInvoiceLine.objects.count(), JournalEntry.objects.count()


def test_direct_lease_worked_example_commencement_split_invoices_and_books(settings):
    loan = lease_funded(contract_type="direct_lease")
    rows = list(loan.schedule_rows())
    # commencement: the gross-up (total scheduled interest) and the car's input VAT
    total_interest = sum((r.interest for r in rows), ZERO)
    assert total_interest == D("19037.94") == D("6084.39") * 35 + D("6084.29") - D("200000.00")
    balances = loan_balances(loan_id=loan.pk)
    assert (
        balances["lease_payments_unearned"] == balances["unearned_finance_income"] == total_interest
    )
    assert balances["vat_input"] == balances["vat_output_deferred"] == D("23008.85")

    # every rent's split (the rule of servicing.services.leases.vat, 13 % from the dated table)
    splits = rents_vat(loan, rows, vat_rate(kind="tangible_lease", on=rows[0].due_date))
    assert (rows[0].principal, rows[0].interest) == (D("5084.39"), D("1000.00"))
    first = splits[0]
    assert (first.taxable, first.tax, first.principal_tax, first.interest_tax) == (
        D("6084.39"), D("699.97"), D("584.93"), D("115.04"),
    )  # fmt: skip
    assert rows[-1].principal + rows[-1].interest == D("6084.29")
    assert splits[-1].tax == D("699.96")  # 6,084.29 x 13/113 = 699.9626
    assert sum((s.tax for s in splits), ZERO) == D("25198.91")  # 35 x 699.97 + 699.96
    assert sum((s.principal_tax for s in splits), ZERO) == D("23008.85")
    assert all(s.principal_tax + s.interest_tax == s.tax for s in splits)

    # the nightly batch from funding to the second due date: one invoice per due rent
    _lessee_id(loan, GOOD_ID)
    results = nights(loan.accrued_through, rows[1].due_date, [loan])
    assert sum(r.get("invoices", 0) for r in results) == 2
    invoices = list(Invoice.objects.filter(source_type="lease_rent").order_by("issued_on"))
    assert [(i.source_id, i.issued_on, i.total, i.tax, i.amount) for i in invoices] == [
        (str(rows[0].pk), rows[0].due_date, D("6084.39"), D("699.97"), D("5384.42")),
        (str(rows[1].pk), rows[1].due_date, D("6084.39"), D("699.97"), D("5384.42")),
    ]
    assert {(i.item_name, i.kind, i.rate, i.buyer_taxpayer_id) for i in invoices} == {
        ("*有形动产融资租赁服务*租金", "tangible_lease", D("0.1300"), GOOD_ID)
    }
    lines = list(LeaseInvoiceLine.objects.filter(loan=loan).order_by("tax_point"))
    assert [(x.principal_tax, x.interest_tax) for x in lines] == [
        (splits[0].principal_tax, splits[0].interest_tax),
        (splits[1].principal_tax, splits[1].interest_tax),
    ]

    # the ledger: output VAT = the invoices' tax, taken from 待转销项税额 and interest income
    balances = loan_balances(loan_id=loan.pk)
    assert (
        balances["vat_output_deferred"]
        == D("23008.85") - splits[0].principal_tax - splits[1].principal_tax
    )
    accrued = rows[0].interest + rows[1].interest
    assert balances["unearned_finance_income"] == total_interest - accrued
    assert balances["lease_payments_unearned"] == total_interest - accrued
    assert balances["interest_income"] == accrued - splits[0].interest_tax - splits[1].interest_tax
    books = books_reconcile()
    assert books["vat_output"] == D("1399.94")
    assert trial_balance().total == 0

    # the month's output VAT = the sum of that month's invoices' tax
    feb = vat_output_month(rows[0].due_date.year, rows[0].due_date.month)
    assert feb.tax == D("699.97") and feb.invoices_total == D("6084.39")
    [line] = feb.lines
    assert (line.kind, line.rate, line.blue_count, line.amount, line.tax, line.red_count) == (
        "tangible_lease", D("0.1300"), 1, D("5384.42"), D("699.97"), 0)  # fmt: skip
    assert feb.payable_tax == D("699.97")  # not entitled to 差额征税 by default
    settings.LEASE_VAT_MARGIN_ELIGIBLE = True
    margin = vat_output_month(
        rows[0].due_date.year, rows[0].due_date.month, borrowing_interest=D("1000.00")
    )
    # borrowing interest paid 1,000.00 deducted: its 13 % inside, 115.04
    assert (margin.deduction_base, margin.deduction_tax) == (D("1000.00"), D("115.04"))
    assert margin.payable_tax == D("699.97") - D("115.04")

    # a re-run of the day issues nothing twice and posts nothing
    before = _state()
    again = nights(rows[1].due_date, rows[1].due_date, [loan])
    assert again[0]["invoices"] == 0 and _state() == before


def test_sale_leaseback_vat_is_six_percent_of_interest_and_penalty_is_invoiced(settings):
    loan = lease_funded(contract_type="sale_leaseback", amount="100000.00", term=12)
    _lessee_id(loan, GOOD_ID)
    rows = list(loan.schedule_rows())
    assert rows[0].interest == D("500.00")
    balances = loan_balances(loan_id=loan.pk)
    assert "vat_input" not in balances and "vat_output_deferred" not in balances
    # rent 1 falls due and stays unpaid 5 days: penalty accrues (the delinquency step)
    nights(loan.accrued_through, rows[0].due_date, [loan])
    invoice = Invoice.objects.get(source_type="lease_rent", source_id=str(rows[0].pk))
    assert (invoice.item_name, invoice.kind, invoice.rate) == (
        "*贷款服务*融资租赁利息",
        "loan_service",
        D("0.0600"),
    )
    assert (invoice.total, invoice.tax, invoice.amount) == (D("500.00"), D("28.30"), D("471.70"))
    assert loan_balances(loan_id=loan.pk)["vat_output"] == D("28.30")

    # a 价外费用: a penalty received is invoiced the next night at 6 %
    from servicing.eod.registry import StepContext
    from servicing.eod.steps.delinquency import delinquency_chunk

    late = rows[0].due_date + dt.timedelta(days=5)
    day = rows[0].due_date + dt.timedelta(days=1)
    while day <= late:
        nights(day, day, [loan])
        delinquency_chunk(StepContext(business_date=day, batch_id=0, step_id=0), loan.pk, loan.pk)
        day += dt.timedelta(days=1)
    rows[0].refresh_from_db()
    assert rows[0].penalty > 0
    set_day(late + dt.timedelta(days=1))
    paid = repayment_post(
        loan_id=loan.pk, amount=rows[0].instalment + D("50.00"), source="online", actor="pay"
    )
    penalty = RepaymentAllocation.objects.filter(repayment=paid, component="penalty").aggregate(
        s=Sum("amount")
    )["s"]
    assert penalty >= rows[0].penalty > 0
    nights(late + dt.timedelta(days=1), late + dt.timedelta(days=1), [loan])
    charge = Invoice.objects.get(source_type="lease_charge")
    assert (charge.source_id, charge.total) == (str(paid.pk), penalty)
    assert charge.tax == (penalty * 6 / 106).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert charge.item_name == "*贷款服务*价外费用（罚息、违约金）"
    books = books_reconcile()
    assert books["vat_output"] == D("28.30") + charge.tax
    assert trial_balance().total == 0


def test_the_loan_factorys_lessee_is_invoiced_as_it_is():
    # the bench's realistic book funds its leases through the factory: its lessee's ID must be
    # one the buyer check accepts, or every rent of every bench lease is refused every night
    loan = lease_funded(contract_type="direct_lease")
    rows = list(loan.schedule_rows())
    results = nights(loan.accrued_through, rows[0].due_date, [loan])
    assert results[-1] == {"loans": 1, "invoices": 1, "refused": 0}
    assert not LeaseInvoiceRefusal.objects.exists()
    assert Invoice.objects.get().source_id == str(rows[0].pk)


def test_month_grouping_issues_one_invoice_per_lease_per_month(settings):
    settings.LEASE_INVOICE_GROUPING = "month"
    loan = lease_funded(contract_type="sale_leaseback", amount="100000.00", term=12)
    _lessee_id(loan, GOOD_ID)
    rows = list(loan.schedule_rows())
    nights(loan.accrued_through, rows[0].due_date, [loan])
    invoice = Invoice.objects.get(source_type="lease_rent")
    assert invoice.source_id == f"{loan.pk}:{rows[0].due_date:%Y-%m}"
    assert invoice.total == D("500.00")
    books_reconcile()


def test_early_settlement_releases_the_interest_never_earned():
    loan = lease_funded(contract_type="sale_leaseback", amount="100000.00", term=12)
    _lessee_id(loan, GOOD_ID)
    rows = list(loan.schedule_rows())
    day = rows[0].due_date + dt.timedelta(days=10)
    nights(loan.accrued_through, rows[0].due_date - dt.timedelta(days=1), [loan])
    set_day(rows[0].due_date)
    repayment_post(loan_id=loan.pk, amount=rows[0].instalment, source="online", actor="pay")
    nights(rows[0].due_date, day - dt.timedelta(days=1), [loan])
    set_day(day)
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer, idempotency_key=f"q-{loan.pk}")
    repayment_post(loan_id=loan.pk, amount=quote.total, source="online", actor="pay",
                   purpose="payoff", payoff_quote_id=quote.pk)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "settled_early"
    balances = loan_balances(loan_id=loan.pk)
    assert balances["unearned_finance_income"] == balances["lease_payments_unearned"] == ZERO
    # the settlement (the quote's interest and fee, due on the settlement day) is invoiced once:
    # by the termination itself (6 % on the interest and fee of a 售后回租), not again as a rent
    # by that night's batch
    termination = Invoice.objects.get(source_type="lease_termination", source_id=str(quote.pk))
    assert termination.total == quote.accrued_interest + quote.early_settlement_fee
    nights(day, day, [loan])
    settlement_row = loan.schedule_rows()[1]
    assert settlement_row.due_date == day and settlement_row.interest == quote.accrued_interest > 0
    assert not Invoice.objects.filter(source_type="lease_rent", source_id=str(settlement_row.pk))
    books_reconcile()
    assert trial_balance().total == 0


def test_bad_input_refused_in_chinese_nothing_issued_nothing_posted():
    loan = lease_funded(contract_type="direct_lease")
    rows = list(loan.schedule_rows())
    _lessee_id(loan, BAD_ID)
    nights(loan.accrued_through, rows[0].due_date - dt.timedelta(days=1), [loan])

    # a buyer ID failing its checksum: the batch records it for operations and goes on
    before = _state()
    result = nights(rows[0].due_date, rows[0].due_date, [loan])[0]
    assert (result["invoices"], result["refused"]) == (0, 1)
    refusal = LeaseInvoiceRefusal.objects.get(source_id=str(rows[0].pk))
    assert BAD_ID in refusal.reason and "不是有效的统一社会信用代码或身份证号码" in refusal.reason
    assert not refusal.resolved
    assert _state()[:2] == before[:2]
    assert not JournalEntry.objects.filter(source_type="invoice").exists()

    # an invoice asked for a future rent
    _lessee_id(loan, GOOD_ID)
    before = _state()
    with pytest.raises(InvoiceError, match="才到期，未到纳税义务发生日"):
        lease_rent_invoice(row=rows[1], on=rows[0].due_date, actor="ops")
    assert _state() == before

    # the VAT rate missing for the date
    rate = VatRate.objects.get(kind="tangible_lease", effective_to__isnull=True)
    VatRate.objects.filter(pk=rate.pk).update(effective_to=rows[0].due_date)
    with pytest.raises(InvoiceError, match="增值税税率表中没有"):
        lease_rent_invoice(row=rows[0], on=rows[0].due_date, actor="ops")
    assert _state() == before
    VatRate.objects.filter(pk=rate.pk).update(effective_to=None)

    # fixed: operations issue it; the refusal is resolved, a second ask is refused
    invoice = lease_rent_invoice(row=rows[0], on=rows[0].due_date, actor="ops")
    assert (invoice.total, invoice.tax) == (D("6084.39"), D("699.97"))
    refusal.refresh_from_db()
    assert refusal.resolved
    with pytest.raises(InvoiceError, match="已开具发票"):
        lease_rent_invoice(row=rows[0], on=rows[0].due_date, actor="ops")
    assert LeaseInvoiceLine.objects.filter(loan=loan).aggregate(s=Sum("tax"))["s"] == D("699.97")
    books_reconcile()
    assert trial_balance().total == 0


def test_charge_off_clears_the_unearned_income():
    from servicing.services.loans.charge_off import loan_charge_off

    loan = lease_funded(contract_type="direct_lease", amount="100000.00", term=12)
    rows = list(loan.schedule_rows())
    nights(loan.accrued_through, rows[0].due_date + dt.timedelta(days=3), [loan])
    set_day(rows[0].due_date + dt.timedelta(days=4))
    loan_charge_off(loan_id=loan.pk, actor="ops", reason="测试核销")
    balances = loan_balances(loan_id=loan.pk)
    assert balances["unearned_finance_income"] == balances["lease_payments_unearned"] == ZERO
    books_reconcile()
    assert trial_balance().total == 0


def test_the_nightly_batch_invoices_due_rents_and_a_rerun_of_the_day_issues_none_twice(settings):
    from servicing.eod.sync_driver import batch_run_sync, eod_run_until
    from servicing.models.eod import BatchRun, ChunkRun, StepRun
    from servicing.models.ledger import JournalLine

    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2
    direct = lease_funded(contract_type="direct_lease")
    leaseback = lease_funded(contract_type="sale_leaseback", amount="100000.00", term=12)
    refused = lease_funded(contract_type="sale_leaseback", amount="50000.00", term=12)
    for loan in (direct, leaseback):
        _lessee_id(loan, GOOD_ID)
    _lessee_id(refused, BAD_ID)
    due = direct.schedule_rows()[0].due_date
    set_day(due - dt.timedelta(days=1))
    # the whole batch, every step (the reconciliation's lease components included), two days
    batches = eod_run_until(target=due)
    assert [b.status for b in batches] == ["succeeded", "succeeded"]
    assert sorted(Invoice.objects.values_list("source_type", "total", "tax")) == [
        ("lease_rent", D("500.00"), D("28.30")),
        ("lease_rent", D("6084.39"), D("699.97")),
    ]
    assert LeaseInvoiceRefusal.objects.filter(loan=refused, resolved=False).count() == 1
    books = books_reconcile()
    assert books["vat_output"] == D("728.27")
    assert trial_balance().total == 0

    # every chunk of the day executed again: nothing issued or posted twice
    before = (Invoice.objects.count(), JournalLine.objects.count())
    set_day(due)
    BatchRun.objects.filter(business_date=due).update(status="running")
    StepRun.objects.filter(batch__business_date=due).update(status="running")
    ChunkRun.objects.filter(step__batch__business_date=due).update(status="pending")
    assert batch_run_sync(business_date=due).status == "succeeded"
    assert (Invoice.objects.count(), JournalLine.objects.count()) == before


def test_a_direct_lease_to_its_last_rent_empties_the_deferred_vat_and_the_unearned_income():
    loan = lease_funded(contract_type="direct_lease", amount="30000.00", term=3)
    _lessee_id(loan, GOOD_ID)
    rows = list(loan.schedule_rows())
    assert loan_balances(loan_id=loan.pk)["vat_output_deferred"] == D("3451.33")  # 30,000 x 13/113
    nights(loan.accrued_through, rows[-1].due_date, [loan])
    lines = LeaseInvoiceLine.objects.filter(loan=loan)
    assert lines.count() == 3
    assert lines.aggregate(s=Sum("principal_tax"))["s"] == D("3451.33")
    balances = loan_balances(loan_id=loan.pk)
    assert balances["vat_output_deferred"] == ZERO
    assert balances["unearned_finance_income"] == balances["lease_payments_unearned"] == ZERO
    assert balances["vat_output"] == Invoice.objects.aggregate(s=Sum("tax"))["s"]
    books_reconcile()
    assert trial_balance().total == 0
