"""Repayments: the waterfall to the fen, suspense, reversal restoring the exact prior state,
maker-checker, idempotency; the ledger agrees with the loan after every path."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.models import AuditEntry
from autofin.roles import Role
from servicing.models import JournalEntry
from servicing.models.loans import LoanStatusChange, PenaltyAccrual, RowStatus
from servicing.models.repayments import Repayment, RepaymentAllocation
from servicing.selectors.ledger import loan_balances
from servicing.services.accrual import loan_accrue
from servicing.services.repayments.guards import RepaymentError
from servicing.services.repayments.manual import repayment_manual_approve, repayment_manual_submit
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from servicing.services.repayments.suspense import suspense_apply
from servicing.services.repayments.waterfall import allocate
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db


def _snapshot(loan):
    loan.refresh_from_db()
    return (
        loan.principal_outstanding,
        loan.suspense_balance,
        loan.status,
        [
            (
                r.pk,
                r.principal_paid,
                r.interest_paid,
                r.fee_paid,
                r.penalty_paid,
                r.status,
                r.paid_on,
            )
            for r in rows(loan)
        ],
    )


def test_waterfall_allocates_to_the_fen_oldest_first():
    # given a loan two instalments in arrears, the nightly batch run up to the day before
    loan = make_loan()
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 19))
    set_day(dt.date(2026, 3, 20))
    # when the customer pays 15,000.00
    repayment = repayment_post(loan_id=loan.pk, amount="15000.00", source="manual", actor="test")
    # then penalty (33 + 5 days at 2.58 a day) -> overdue fees -> overdue interest ->
    # overdue principal, oldest first; nothing is left for the current row 3
    got = [
        (a.row.instalment_no if a.row else None, a.component, a.amount)
        for a in repayment.allocations.select_related("row").order_by("id")
    ]
    assert got == [
        (1, "penalty", D("85.14")),
        (2, "penalty", D("12.90")),
        (1, "fee", D("50.00")),
        (2, "fee", D("50.00")),
        (1, "interest", D("600.00")),
        (2, "interest", D("551.36")),
        (1, "principal", D("9727.97")),
        (2, "principal", D("3922.63")),
    ]
    r1, r2, r3 = rows(loan)[:3]
    assert (r1.status, r1.paid_on) == (RowStatus.PAID, dt.date(2026, 3, 20))
    assert (r2.status, r2.principal_paid) == (RowStatus.OVERDUE, D("3922.63"))
    assert (r3.status, r3.amount_paid) == (RowStatus.PENDING, D("0.00"))
    loan.refresh_from_db()
    assert loan.status == "overdue"
    assert loan.principal_outstanding == D("120000.00") - D("9727.97") - D("3922.63")
    assert assert_ledger_matches(loan)["penalty_receivable"] == D("0.00")


def test_configurable_waterfall_by_instalment():
    loan = make_loan(rules={"waterfall": "by_instalment", "penalty_markup": "0.5"})
    assert loan.product_rules["waterfall"] == "by_instalment"  # the product's, via the contract
    set_day(dt.date(2026, 3, 15))  # row 1 overdue 28 days, row 2 due today
    repayment = repayment_post(loan_id=loan.pk, amount="10500.00", source="manual", actor="test")
    got = [
        (a.row.instalment_no, a.component, a.amount) for a in repayment.allocations.order_by("id")
    ]
    assert got == [
        (1, "penalty", D("72.24")),  # 28 days x 2.58
        (1, "fee", D("50.00")),
        (1, "interest", D("600.00")),
        (1, "principal", D("9727.97")),
        (2, "fee", D("49.79")),
    ]
    assert_ledger_matches(loan)


def test_overpayment_goes_to_suspense_and_is_applied_when_due():
    loan = make_loan()
    set_day(dt.date(2026, 2, 10))  # row 1 is current (due 15 Feb)
    repayment = repayment_post(loan_id=loan.pk, amount="12000.00", source="online", actor="test")
    assert repayment.suspense_amount == D("12000.00") - D("10377.97")
    loan.refresh_from_db()
    assert loan.suspense_balance == D("1622.03")
    assert rows(loan)[0].status == RowStatus.PAID
    assert rows(loan)[1].amount_paid == D("0.00")
    assert_ledger_matches(loan)
    # when row 2's period starts, the nightly batch applies the suspense
    set_day(dt.date(2026, 3, 15))
    applied = suspense_apply(loan_id=loan.pk, actor="eod")
    assert applied.source == "suspense" and applied.amount == D("1622.03")
    got = [(a.row.instalment_no, a.component, a.amount) for a in applied.allocations.order_by("id")]
    assert got == [
        (2, "fee", D("50.00")),
        (2, "interest", D("551.36")),
        (2, "principal", D("1020.67")),
    ]
    loan.refresh_from_db()
    assert loan.suspense_balance == D("0.00")
    assert loan_balances(loan_id=loan.pk)["customer_suspense"] == D("0.00")
    assert_ledger_matches(loan)
    assert suspense_apply(loan_id=loan.pk, actor="eod") is None


def test_reversal_restores_the_exact_prior_state_and_recomputes_penalty():
    # given a loan with row 1 overdue, accrued nightly to 19 Mar
    loan = make_loan()
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 19))
    set_day(dt.date(2026, 3, 20))
    before = _snapshot(loan)
    penalty_before = sum((r.penalty for r in rows(loan)), D("0"))
    repayment = repayment_post(
        loan_id=loan.pk, amount="15000.00", source="auto_debit", actor="bank"
    )
    # the nightly batch runs 5 more days on the reduced arrears
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 25))
    # when the payment bounces on 26 Mar
    set_day(dt.date(2026, 3, 26))
    repayment_reverse(repayment_id=repayment.pk, reason="退票", actor="bank")
    # then every paid amount, status and the loan's figures are back as before the payment
    after = _snapshot(loan)
    assert after[0:3] == before[0:3]
    assert [r[:5] + (r[6],) for r in after[3]] == [r[:5] + (r[6],) for r in before[3]]
    # and the penalty is what it would have been with no payment: rows 1, 2 and 3 overdue
    # row 1: 15 Feb..26 Mar = 39 days, row 2: 15 Mar..26 Mar = 11 days, at 2.58 a day
    r1, r2 = rows(loan)[:2]
    assert r1.penalty == D("2.58") * 39
    assert r2.penalty == D("2.58") * 11
    assert r1.penalty + r2.penalty > penalty_before
    repayment.refresh_from_db()
    assert repayment.status == "reversed"
    assert JournalEntry.objects.filter(reverses_id=repayment.journal_entry_id).count() == 1
    assert_ledger_matches(loan)
    # reversing again changes nothing
    repayment_reverse(repayment_id=repayment.pk, reason="退票", actor="bank")
    assert _snapshot(loan) == after


def test_reversal_undoes_suspense_already_applied():
    loan = make_loan()
    set_day(dt.date(2026, 2, 10))
    paid = repayment_post(loan_id=loan.pk, amount="12000.00", source="online", actor="t")
    set_day(dt.date(2026, 3, 15))
    applied = suspense_apply(loan_id=loan.pk, actor="eod")
    set_day(dt.date(2026, 3, 16))
    repayment_reverse(repayment_id=paid.pk, reason="退票", actor="bank")
    applied.refresh_from_db()
    assert applied.status == "reversed"
    loan.refresh_from_db()
    assert loan.suspense_balance == D("0.00")
    assert loan.principal_outstanding == D("120000.00")
    assert all(r.amount_paid == 0 for r in rows(loan))
    assert loan.status == "overdue"
    assert_ledger_matches(loan)


def test_idempotency_key_replay_returns_the_first_repayment():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    first = repayment_post(
        loan_id=loan.pk, amount="10377.97", source="manual", actor="t", idempotency_key="k-1"
    )
    again = repayment_post(
        loan_id=loan.pk, amount="10377.97", source="manual", actor="t", idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert Repayment.objects.count() == 1
    with pytest.raises(RepaymentError) as exc:
        repayment_post(
            loan_id=loan.pk, amount="1.00", source="manual", actor="t", idempotency_key="k-1"
        )
    assert exc.value.code == "idempotency_conflict"
    assert Repayment.objects.count() == 1
    assert_ledger_matches(loan)


def test_manual_posting_over_threshold_needs_a_second_person():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    maker = UserFactory(roles=[Role.SERVICING_AGENT])
    checker = UserFactory(roles=[Role.SERVICING_AGENT])
    small = repayment_manual_submit(
        loan_id=loan.pk, amount="100.00", evidence="工行流水 001", actor=maker
    )
    assert small.status == "posted" and small.approved_by is None
    big = repayment_manual_submit(
        loan_id=loan.pk, amount="50000.00", evidence="工行流水 002", actor=maker
    )
    assert big.status == "pending_approval"
    assert big.allocations.count() == 0
    balances = loan_balances(loan_id=loan.pk)
    with pytest.raises(RepaymentError) as exc:
        repayment_manual_approve(repayment_id=big.pk, actor=maker)
    assert exc.value.code == "maker_checker"
    assert loan_balances(loan_id=loan.pk) == balances
    posted = repayment_manual_approve(repayment_id=big.pk, actor=checker)
    assert (posted.status, posted.prepared_by_id, posted.approved_by_id) == (
        "posted",
        maker.pk,
        checker.pk,
    )
    assert repayment_manual_approve(repayment_id=big.pk, actor=checker).pk == big.pk
    assert RepaymentAllocation.objects.filter(repayment=big).count() > 0
    assert_ledger_matches(loan)
    with pytest.raises(RepaymentError):
        repayment_manual_submit(loan_id=loan.pk, amount="10.00", evidence=" ", actor=maker)


def test_paying_the_last_instalment_pays_the_loan_off_and_requests_mortgage_release():
    loan = make_loan(term=2, fee="0.00")
    first, last = rows(loan)
    set_day(dt.date(2026, 2, 15))
    repayment_post(loan_id=loan.pk, amount=first.instalment, source="manual", actor="t")
    loan.refresh_from_db()
    assert loan.status == "active"
    set_day(dt.date(2026, 3, 15))
    repayment_post(loan_id=loan.pk, amount=last.instalment, source="manual", actor="t")
    loan.refresh_from_db()
    assert loan.status == "paid_off" and loan.closed_on == dt.date(2026, 3, 15)
    assert loan.mortgage_release.status == "pending"
    assert LoanStatusChange.objects.filter(loan=loan, to_status="paid_off").count() == 1
    assert AuditEntry.objects.filter(action="loan_status", to_state="paid_off").count() == 1
    assert_ledger_matches(loan)


def test_allocate_is_pure_and_exact():
    loan = make_loan()
    schedule = rows(loan)
    allocations, leftover = allocate(
        amount=D("700.00"), rows=schedule, business_date=dt.date(2026, 2, 1)
    )
    assert [(r.instalment_no, c, a) for r, c, a in allocations] == [
        (1, "fee", D("50.00")),
        (1, "interest", D("600.00")),
        (1, "principal", D("50.00")),
    ]
    assert leftover == D("0.00")
    assert all(r.amount_paid == 0 for r in schedule)
    assert PenaltyAccrual.objects.count() == 0
