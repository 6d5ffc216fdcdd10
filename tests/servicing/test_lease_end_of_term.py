"""A lease's end (issue 19, eot): the 留购价 billed with the last rent, invoiced when paid, the
title transfer; a reversal red-lettering the buyout invoice; early termination (quote, invoices,
red letter for a cancelled rent, the unearned income released); a residual lease's car returned
and remarketed with the shortfall charged. Exact to the fen, trial balance zero."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.roles import Role
from servicing.models.invoices import Invoice
from servicing.models.lease_end import LeaseReturn, LeaseTitleTransfer
from servicing.models.leases import LeaseAsset
from servicing.models.loans import MortgageRelease
from servicing.models.repayments import Repayment
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.accrual import loan_accrue
from servicing.services.leases.end_of_term import (
    lease_buyout_bill,
    lease_remarket_record,
    lease_return_record,
    residual_shortfall,
    title_transfer_done,
)
from servicing.services.leases.quote import lease_termination_quote
from servicing.services.loans.account import LoanError
from servicing.services.repayments.guards import RepaymentError
from servicing.services.repayments.manual import repayment_manual_approve
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from tests.factories import UserFactory
from tests.servicing.lease_eot_support import lease_make, rent_invoice
from tests.servicing.loan_helpers import D, assert_ledger_matches, rows, set_day

pytestmark = pytest.mark.django_db


def _pay(loan, row):
    """The rent collected on its due date after the day's accrual (a loan closed by a payment
    before its last period's accrual never books that period's income: the engine's, not ours)."""
    set_day(row.due_date)
    loan_accrue(loan_id=loan.pk, through=row.due_date)
    return repayment_post(loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank")


def _agent():
    return UserFactory(roles=[Role.SERVICING_AGENT])


def test_buyout_billed_with_the_last_rent_invoiced_title_transferred_and_reversal_red_letters():
    loan = lease_make(term=6)
    lease_buyout_bill(loan_id=loan.pk, actor="funding")
    lease_buyout_bill(loan_id=loan.pk, actor="funding")  # once
    schedule = rows(loan)
    assert [r.fee for r in schedule] == [D("0.00")] * 5 + [D("100.00")]
    assert schedule[-1].instalment == schedule[-1].principal + schedule[-1].interest + D("100.00")
    for row in schedule[:-1]:
        _pay(loan, row)
    last = _pay(loan, schedule[-1])
    loan.refresh_from_db()
    asset = LeaseAsset.objects.get(loan=loan)
    assert (loan.status, asset.status) == ("paid_off", "bought_out")
    invoice = Invoice.objects.get(source_type="lease_buyout")
    # 直租 13 %: 100.00 x 13 / 113 = 11.504 -> 11.50
    assert (invoice.total, invoice.tax, invoice.amount, invoice.rate, invoice.colour) == (
        D("100.00"), D("11.50"), D("88.50"), D("0.1300"), "blue",
    )  # fmt: skip
    assert invoice.item_name == "*有形动产融资租赁服务*留购价款"
    balances = loan_balances(loan_id=loan.pk)
    interest = sum((r.interest for r in schedule), D("0.00"))
    assert balances["fee_income"] == D("100.00") - D("11.50")
    assert balances["vat_output"] == D("11.50")
    transfer = LeaseTitleTransfer.objects.get(asset=asset)
    assert transfer.status == "pending"
    assert not MortgageRelease.objects.filter(loan=loan).exists()  # a 直租 is transferred
    assert_ledger_matches(loan)

    # the bank bounces the last payment: the buyout invoice gets its red letter, VAT reversed
    repayment_reverse(repayment_id=last.pk, reason="退票", actor="bank")
    loan.refresh_from_db()
    asset.refresh_from_db()
    transfer.refresh_from_db()
    red = Invoice.objects.get(reverses=invoice)
    assert (red.colour, red.total, red.tax, red.amount) == (
        "red", D("-100.00"), D("-11.50"), D("-88.50"),
    )  # fmt: skip
    balances = loan_balances(loan_id=loan.pk)
    assert (balances["vat_output"], balances["fee_income"]) == (D("0.00"), D("100.00"))
    assert (loan.status, asset.status, transfer.status) != ("paid_off", "bought_out", "pending")
    assert asset.status == "on_lease" and transfer.status == "cancelled"

    # paid again: a new blue invoice, the transfer reopened and done by the servicing desk
    repayment_post(loan_id=loan.pk, amount=schedule[-1].instalment, source="online", actor="c")
    blue = Invoice.objects.filter(source_type="lease_buyout", colour="blue").order_by("id")
    assert [i.source_id for i in blue] == [f"{loan.pk}:1", f"{loan.pk}:2"]
    assert loan_balances(loan_id=loan.pk)["vat_output"] == D("11.50")
    with pytest.raises(RepaymentError):
        title_transfer_done(transfer_id=transfer.pk, actor=UserFactory(roles=[Role.COLLECTOR]))
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    title_transfer_done(transfer_id=transfer.pk, actor=_agent())
    asset.refresh_from_db()
    assert (asset.registration_status, asset.title_holder) == ("transferred", "customer")
    assert interest > 0 and trial_balance().total == D("0.00")


def test_a_mortgaged_sale_leaseback_is_released_like_a_loan():
    loan = lease_make(term=3, contract_type="sale_leaseback", buyout="0.00", mortgaged=True)
    for row in rows(loan):
        _pay(loan, row)
    assert MortgageRelease.objects.get(loan=loan).status == "pending"
    assert not LeaseTitleTransfer.objects.exists()
    assert LeaseAsset.objects.get(loan=loan).status == "bought_out"
    assert not Invoice.objects.exists()


def test_early_termination_quote_invoices_red_letter_and_release_exact():
    loan = lease_make()  # 直租 120,000.00, 12 months at 6 %, 30/360, 2 % fee, lock-in 3 months
    lease_buyout_bill(loan_id=loan.pk, actor="funding")
    schedule = rows(loan)
    for row in schedule[:3]:
        rent_invoice(loan, row)
        _pay(loan, row)
    fourth = schedule[3]
    set_day(fourth.due_date)
    loan_accrue(loan_id=loan.pk, through=fourth.due_date - dt.timedelta(days=1))
    rent_invoice(loan, fourth)  # the tax point came; the termination cancels this rent
    deferred = loan_balances(loan_id=loan.pk)["vat_output_deferred"]
    quote = lease_termination_quote(loan_id=loan.pk, actor=loan.customer)
    record = quote.record
    assert (record.outstanding_principal, record.accrued_interest) == (
        D("90669.93"), D("453.35"),
    )  # fmt: skip
    assert (quote.termination_fee, quote.buyout) == (D("1813.40"), D("100.00"))
    assert record.total == D("90669.93") + D("453.35") + D("1813.40") + D("100.00")
    # VAT inside the total: 93,036.68 x 13/113 = 10,703.33; 留购价 + 违约金 1,913.40 -> 220.13
    assert quote.vat.taxable == D("93036.68")
    assert quote.vat.tax == D("10703.33")
    assert quote.vat.fee_tax == D("220.13")
    rent4 = Invoice.objects.get(source_type="lease_rent", source_id=str(fourth.pk))
    # the 待转销项税额 left: 13,805.31 less rents 1-3's principal tax (1,119.15 + 1,124.74 +
    # 1,130.37); rent 4's 1,136.02 comes back with its red letter
    assert deferred == D("9295.03")
    assert (rent4.total, rent4.tax) == (D("10327.97"), D("1188.17"))
    assert quote.vat.principal_tax == D("10431.05")
    assert quote.vat.interest_tax == D("52.15")  # 10,703.33 - 10,431.05 - 220.13

    repayment_post(loan_id=loan.pk, amount=record.total, source="online", actor="c",
                   purpose="payoff", payoff_quote_id=record.pk)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "settled_early"
    red = Invoice.objects.get(reverses=rent4)
    assert (red.total, red.tax) == (-rent4.total, -rent4.tax)
    termination = Invoice.objects.get(source_type="lease_termination")
    assert (termination.total, termination.tax, termination.source_id) == (
        D("93036.68"), D("10703.33"), str(record.pk),
    )  # fmt: skip
    balances = loan_balances(loan_id=loan.pk)
    invoiced = list(Invoice.objects.all())
    assert balances["vat_output"] == sum((i.tax for i in invoiced), D("0.00"))
    assert balances["vat_output_deferred"] == D("0.00")
    assert balances["lease_payments_unearned"] == D("0.00")
    assert balances["unearned_finance_income"] == D("0.00")
    assert LeaseAsset.objects.get(loan=loan).status == "bought_out"
    assert LeaseTitleTransfer.objects.get(asset__loan=loan).status == "pending"
    assert trial_balance().total == D("0.00")


def test_a_residual_lease_returned_and_remarketed_with_the_shortfall_charged():
    loan = lease_make(term=12, method="balloon", balloon_ratio="0.30", buyout="0.00",
                      residual="36000.00")  # fmt: skip
    schedule = rows(loan)
    assert schedule[-1].principal >= D("36000.00")
    for row in schedule[:-1]:
        _pay(loan, row)
    last = schedule[-1]
    set_day(last.due_date)
    loan_accrue(loan_id=loan.pk, through=last.due_date)
    collector = UserFactory(roles=[Role.COLLECTOR])
    with pytest.raises(RepaymentError):
        lease_return_record(loan_id=loan.pk, mileage_km=80000, notes="左前门凹陷",
                            excess_wear_charge=D("1200.00"), actor=collector)  # fmt: skip
    assert not LeaseReturn.objects.exists()
    agent, checker = _agent(), _agent()
    lease_return_record(loan_id=loan.pk, mileage_km=80000, notes="左前门凹陷，超出合同里程",
                        excess_wear_charge=D("1200.00"), actor=agent)  # fmt: skip
    last.refresh_from_db()
    owed = last.principal + last.interest + D("1200.00")
    assert (last.fee, last.instalment) == (D("1200.00"), owed)
    assert LeaseAsset.objects.get(loan=loan).status == "returned"
    repayment = lease_remarket_record(loan_id=loan.pk, buyer="上海二手车拍卖有限公司",
                                      proceeds=D("30000.00"), actor=agent)  # fmt: skip
    if repayment.status == "pending_approval":
        repayment = repayment_manual_approve(repayment_id=repayment.pk, actor=checker)
    assert repayment.status == "posted"
    loan.refresh_from_db()
    assert LeaseAsset.objects.get(loan=loan).status == "sold"
    # the proceeds paid the wear charge, the interest and part of the residual: the shortfall
    # stays owed by the customer, exactly
    assert residual_shortfall(loan) == owed - D("30000.00")
    assert loan.status != "paid_off"
    balances = assert_ledger_matches(loan)
    assert balances["fee_receivable"] == D("0.00")
    # the customer pays the shortfall: the lease closes, no title transfer for a sold car
    repayment_post(loan_id=loan.pk, amount=owed - D("30000.00"), source="online", actor="c")
    loan.refresh_from_db()
    assert (loan.status, residual_shortfall(loan)) == ("paid_off", D("0.00"))
    assert not LeaseTitleTransfer.objects.exists()
    assert LeaseAsset.objects.get(loan=loan).status == "sold"
    assert Repayment.objects.filter(loan=loan, source="manual").count() == 1
    assert trial_balance().total == D("0.00")


def test_a_quote_for_a_loan_or_by_a_stranger_is_refused():
    loan = lease_make(term=6, commence=False)
    with pytest.raises(LoanError):
        lease_termination_quote(loan_id=loan.pk, actor=UserFactory(roles=[Role.COLLECTOR]))
    assert not loan.payoff_quotes.exists()


def test_a_sale_leaseback_termination_is_taxed_on_interest_and_fees_only():
    loan = lease_make(contract_type="sale_leaseback", buyout="100.00")
    lease_buyout_bill(loan_id=loan.pk, actor="funding")
    for row in rows(loan)[:3]:
        _pay(loan, row)
    set_day(dt.date(2026, 4, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 4, 19))
    quote = lease_termination_quote(loan_id=loan.pk, actor=_agent())
    record = quote.record
    assert (record.outstanding_principal, record.accrued_interest, record.total) == (
        D("90669.93"), D("75.56"), D("92658.89"),
    )  # fmt: skip
    # 6 % on 75.56 + 1,813.40 + 100.00 = 1,988.96 -> 112.58; the principal is outside VAT
    assert (quote.vat.taxable, quote.vat.tax, quote.vat.principal_tax) == (
        D("1988.96"), D("112.58"), D("0.00"),
    )  # fmt: skip
    # the fees' share 1,913.40 x 6/106 = 108.31 out of fee income, the rest out of interest
    assert (quote.vat.fee_tax, quote.vat.interest_tax) == (D("108.31"), D("4.27"))
    repayment_post(loan_id=loan.pk, amount=record.total, source="online", actor="c",
                   purpose="payoff", payoff_quote_id=record.pk)  # fmt: skip
    invoice = Invoice.objects.get(source_type="lease_termination")
    assert (invoice.total, invoice.tax, invoice.rate) == (D("1988.96"), D("112.58"), D("0.0600"))
    assert invoice.item_name == "*贷款服务*提前终止结清款"
    balances = loan_balances(loan_id=loan.pk)
    assert balances["vat_output"] == D("112.58")
    assert balances["fee_income"] == D("1913.40") - D("108.31")
    assert balances["unearned_finance_income"] == D("0.00")
    assert trial_balance().total == D("0.00")
