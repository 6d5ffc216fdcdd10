"""The loan factory through funding, and the contract as the law: the funded loan carries the
signed contract's rates and schedule, and a subsidised 0 % contract's loan accrues penalty at
the contract's 0 % — by the nightly batch — while a 6 % contract's accrues at its 9 %."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from origination.models.applications import Application
from origination.models.contracts import Contract
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalLine
from servicing.models.loans import PenaltyAccrual
from servicing.selectors.ledger import loan_balances
from tests.servicing.loan_helpers import assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank (the tests pay, or not, themselves).
    settings.EOD_AUTO_DEBIT_SEND = False


def _contract(loan) -> Contract:
    return Contract.objects.get(contract_ref=loan.contract_ref)


def test_a_loan_made_through_funding_carries_the_signed_contracts_figures():
    loan = make_loan(amount="120000.00", rate="0.06", term=12)

    contract = _contract(loan)
    assert contract.status == "signed"
    assert Application.objects.get(pk=contract.application_id).status == "funded"
    assert (loan.annual_rate, loan.customer_rate, loan.schedule_rate) == (
        contract.lender_rate, contract.customer_rate, contract.customer_rate
    )  # fmt: skip
    assert loan.penalty_rate == contract.penalty_rate == D("0.090000")
    assert (loan.amount_financed, loan.term_months, loan.method, loan.value_date) == (
        D("120000.00"), 12, "equal_instalment", dt.date(2026, 1, 15)
    )  # fmt: skip
    assert [
        (r.instalment_no, r.due_date.isoformat(), str(r.principal), str(r.interest))
        for r in rows(loan)
    ] == [
        (r["instalment_no"], r["due_date"], r["principal"], r["interest"])
        for r in contract.schedule
    ]
    # the product's 50.00 handling fee in every instalment, as the contract's schedule has it
    assert (
        [r.fee for r in rows(loan)] == [D(r["fee"]) for r in contract.schedule] == [D("50.00")] * 12
    )
    assert (loan.fee_per_instalment, rows(loan)[0].instalment) == (D("50.00"), D("10377.97"))
    # the disbursement code's funding entry: principal receivable Dr / the dealer's payable Cr
    lines = JournalLine.objects.filter(entry__source_type="disbursement", loan_id=loan.pk)
    assert sorted(lines.values_list("account__code", "side", "amount")) == [
        ("dealer_payable", "C", D("120000.00")),
        ("principal_receivable", "D", D("120000.00")),
    ]
    assert assert_ledger_matches(loan)["principal_receivable"] == D("120000.00")


def test_a_subsidised_zero_rate_contracts_loan_accrues_penalty_at_the_contracts_zero_rate():
    subsidised = make_loan(amount="60000.00", rate="0.06", customer_rate="0", term=12, fee="0")
    priced = make_loan(amount="60000.00", rate="0.06", term=12, fee="0")

    contract = _contract(subsidised)
    assert (contract.lender_rate, contract.customer_rate, contract.penalty_rate) == (
        D("0.060000"), D("0"), D("0")
    )  # fmt: skip
    assert contract.subsidy_amount > 0  # the OEM pays the lender the interest given up
    assert (subsidised.penalty_rate, subsidised.annual_rate) == (D("0"), D("0.060000"))
    assert [r.interest for r in rows(subsidised)] == [D("0.00")] * 12
    assert rows(subsidised)[0].instalment == D("5000.00")
    assert priced.penalty_rate == _contract(priced).penalty_rate == D("0.090000")

    # neither customer pays instalment 1 (due 2026-02-15); the batch closes three nights
    set_day(dt.date(2026, 2, 15))
    for day in (dt.date(2026, 2, 15), dt.date(2026, 2, 16), dt.date(2026, 2, 17)):
        batch = batch_run_sync(business_date=day)
        assert batch.status == "succeeded", batch.error

    assert loan_balances(loan_id=subsidised.pk).get("penalty_receivable", D("0.00")) == D("0.00")
    assert sum(
        PenaltyAccrual.objects.filter(row__loan=subsidised).values_list("amount", flat=True),
        D("0.00"),
    ) == D("0.00")
    assert rows(subsidised)[0].status == "overdue" and rows(subsidised)[0].penalty == D("0.00")
    # the priced loan: two days on instalment 1 (principal + interest) at its contract's 9 %
    base = rows(priced)[0].principal + rows(priced)[0].interest
    daily = (base * D("0.09") / 360).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert loan_balances(loan_id=priced.pk)["penalty_receivable"] == daily * 2
    assert_ledger_matches(subsidised)
    assert_ledger_matches(priced)


def test_the_database_refuses_a_negative_penalty_rate():
    from django.db import IntegrityError, transaction

    from servicing.models.loans import Loan

    loan = make_loan(fee="0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(penalty_rate=D("-0.000001"))
    loan.refresh_from_db()
    assert loan.penalty_rate == D("0.090000")
