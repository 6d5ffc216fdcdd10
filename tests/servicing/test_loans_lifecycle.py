"""Loan accounts: creation, accrual with true-up, early settlement, partial prepayment,
restructuring, and the ledger agreeing with the loan after every posting path."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP

import pytest
from django.contrib.auth.models import Permission

from autofin.approvals import ApprovalError
from autofin.models import ApprovalRequest, AuditEntry
from autofin.pricing import build_schedule, partial_prepayment, reamortize
from autofin.roles import Role
from servicing.approvals import loan_restructure_submit
from servicing.models import JournalEntry
from servicing.models.loans import (
    Loan,
    LoanScheduleRow,
    LoanStatusChange,
    MortgageRelease,
    PayoffQuoteRecord,
    RowStatus,
)
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.accrual import loan_accrue
from servicing.services.loans.account import LoanError
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from servicing.services.repayments.suspense import suspense_apply
from servicing.services.settlement.early import payoff_quote_issue
from tests import approvals_support
from tests.factories import UserFactory
from tests.servicing.loan_helpers import (
    VALUE_DATE,
    D,
    assert_ledger_matches,
    make_loan,
    rows,
    set_day,
)

pytestmark = pytest.mark.django_db
FEN = D("0.01")


def _pay_on_due_dates(loan, count):
    for row in rows(loan)[:count]:
        set_day(row.due_date)
        loan_accrue(loan_id=loan.pk, through=row.due_date - dt.timedelta(days=1))
        repayment_post(loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank")
        loan_accrue(loan_id=loan.pk, through=row.due_date)


def test_funding_prices_the_contracts_schedule_and_loan_create_is_idempotent_per_contract():
    loan = make_loan()
    expected = build_schedule(
        amount_financed=D("120000.00"),
        annual_rate=D("0.06"),
        term_months=12,
        method="equal_instalment",
        value_date=VALUE_DATE,
        day_count="30/360",
        fee_per_instalment=D("50.00"),
    )
    got = [
        (r.instalment_no, r.due_date, r.principal, r.interest, r.fee, r.instalment)
        for r in rows(loan)
    ]
    assert got == [
        (r.instalment_no, r.due_date, r.principal, r.interest, r.fee, r.instalment)
        for r in expected.rows
    ]
    assert (loan.status, loan.penalty_rate, loan.schedule_version) == ("active", D("0.09"), 1)
    assert LoanStatusChange.objects.filter(loan=loan, to_status="active").count() == 1
    from servicing.services.loans.create import loan_create

    again = loan_create(
        contract_ref=loan.contract_ref,
        application_id=None,
        customer_user_id=loan.customer_id,
        product_version_id=None,
        product_rules={},
        amount_financed=D("1.00"),
        annual_rate=D("0.01"),
        penalty_rate=D("0.015"),
        term_months=1,
        method="equal_instalment",
        value_date=VALUE_DATE,
        actor="test",
    )
    assert again.pk == loan.pk
    assert Loan.objects.count() == 1 and LoanScheduleRow.objects.count() == 12


def test_loan_create_refuses_a_schedule_other_than_the_signed_contracts():
    from servicing.services.loans.account import LoanError
    from servicing.services.loans.create import loan_create

    signed = build_schedule(
        amount_financed=D("120000.00"),
        annual_rate=D("0.06"),
        term_months=12,
        method="equal_instalment",
        value_date=VALUE_DATE,
        day_count="30/360",
    )
    contract_rows = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in r.as_dict().items()}
        | {"instalment_no": r.instalment_no}
        for r in signed.rows
    ]
    contract_rows[11]["interest"] = str(D(contract_rows[11]["interest"]) + D("0.01"))
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900000009")

    with pytest.raises(LoanError) as refused:
        loan_create(
            contract_ref="AF-2026-999999",
            application_id=None,
            customer_user_id=customer.pk,
            product_version_id=None,
            product_rules={},
            amount_financed=D("120000.00"),
            annual_rate=D("0.06"),
            penalty_rate=D("0.09"),
            term_months=12,
            method="equal_instalment",
            value_date=VALUE_DATE,
            contract_schedule=contract_rows,
            actor="test",
        )

    assert refused.value.code == "schedule_mismatch"
    assert Loan.objects.count() == 0 and LoanScheduleRow.objects.count() == 0


def test_daily_accrual_keeps_the_remainder_and_trues_up_to_the_schedule_on_the_due_date():
    loan = make_loan(amount="123456.78", rate="0.0599", value_date=dt.date(2026, 1, 31), fee="0")
    row = rows(loan)[0]
    assert row.due_date == dt.date(2026, 2, 28)
    daily = D("123456.78") * D("0.0599") / 360
    posted = remainder = D("0")
    day = dt.date(2026, 1, 31)
    while day < dt.date(2026, 2, 27):
        day += dt.timedelta(days=1)
        loan_accrue(loan_id=loan.pk, through=day)
        exact = daily + remainder
        post = exact.quantize(FEN, rounding=ROUND_DOWN)
        remainder = (exact - post).quantize(D("0.0000000001"), rounding=ROUND_HALF_UP)
        posted += post
        loan.refresh_from_db()
        assert (loan.accrual_period_posted, loan.accrual_remainder) == (posted, remainder)
        assert loan_balances(loan_id=loan.pk)["interest_income"] == posted
    assert posted == D("554.62")  # 27 days of 20.54184...
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 2, 28))
    loan.refresh_from_db()
    # 30E/360 counts 28 days in Jan 31 -> Feb 28; the schedule charges a month: trued up
    assert row.interest == D("616.26")
    assert loan_balances(loan_id=loan.pk)["interest_income"] == D("616.26")
    assert (loan.accrual_period_posted, loan.accrual_remainder) == (D("0"), D("0"))
    assert rows(loan)[0].status == RowStatus.DUE
    assert_ledger_matches(loan)
    # the next day the row is overdue and so is the loan
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 1))
    loan.refresh_from_db()
    assert (rows(loan)[0].status, loan.status) == (RowStatus.OVERDUE, "overdue")
    assert_ledger_matches(loan)


def test_early_settlement_is_refused_inside_the_lock_in():
    loan = make_loan()
    set_day(dt.date(2026, 3, 1))
    with pytest.raises(LoanError) as exc:
        payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
    assert exc.value.code == "early_settlement_locked"
    assert "2026-04-15" in exc.value.message
    assert PayoffQuoteRecord.objects.count() == 0


def test_early_settlement_after_lock_in_closes_the_loan_exactly():
    loan = make_loan()
    _pay_on_due_dates(loan, 3)
    set_day(dt.date(2026, 4, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 4, 19))
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer, idempotency_key="q-1")
    assert (quote.outstanding_principal, quote.accrued_interest, quote.early_settlement_fee) == (
        D("90669.93"),
        D("75.56"),  # 5 days (30E/360) at 6 %
        D("1813.40"),  # 2 %
    )
    assert quote.total == D("92558.89") and quote.valid_until == dt.date(2026, 4, 20)
    assert payoff_quote_issue(loan_id=loan.pk, actor=loan.customer, idempotency_key="q-1") == quote
    repayment_post(
        loan_id=loan.pk,
        amount=quote.total,
        source="online",
        actor="pay",
        purpose="payoff",
        payoff_quote_id=quote.pk,
    )
    loan.refresh_from_db()
    quote.refresh_from_db()
    assert (loan.status, loan.closed_on, quote.status) == (
        "settled_early",
        dt.date(2026, 4, 20),
        "used",
    )
    assert loan.principal_outstanding == D("0.00")
    figures = assert_ledger_matches(loan)
    assert set(figures.values()) == {D("0.00")}
    balances = loan_balances(loan_id=loan.pk)
    assert balances["fee_income"] == D("150.00") + D("1813.40")
    # the old schedule is kept as version 1, the settlement row is version 2
    assert loan.schedule_version == 2
    assert len(list(loan.schedule_rows_of_version(1))) == 12
    settlement_row = rows(loan)[-1]
    assert (settlement_row.instalment_no, settlement_row.instalment, settlement_row.status) == (
        4,
        D("92558.89"),
        RowStatus.PAID,
    )
    assert MortgageRelease.objects.get(loan=loan).status == "pending"
    assert AuditEntry.objects.filter(action="loan_settle_early").count() == 1


def test_payoff_payment_below_the_quote_is_posted_as_an_ordinary_repayment():
    loan = make_loan()
    _pay_on_due_dates(loan, 3)
    set_day(dt.date(2026, 4, 20))
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
    repayment = repayment_post(
        loan_id=loan.pk,
        amount="1000.00",
        source="online",
        actor="pay",
        purpose="payoff",
        payoff_quote_id=quote.pk,
    )
    loan.refresh_from_db()
    assert (loan.status, repayment.purpose, repayment.effects) == (
        "active",
        "instalment",
        {"fallback": "amount_below_quote"},
    )
    assert_ledger_matches(loan)


@pytest.mark.parametrize("option", ["shorten_term", "lower_instalment"])
def test_partial_prepayment_reamortises_exactly(option):
    loan = make_loan()
    original = build_schedule(
        amount_financed=D("120000.00"),
        annual_rate=D("0.06"),
        term_months=12,
        method="equal_instalment",
        value_date=VALUE_DATE,
        day_count="30/360",
        fee_per_instalment=D("50.00"),
    )
    _pay_on_due_dates(loan, 3)
    set_day(dt.date(2026, 4, 15))
    repayment = repayment_post(
        loan_id=loan.pk,
        amount="30600.00",
        source="online",
        actor="pay",
        purpose="prepayment",
        prepay_amount=D("30000.00"),
        prepayment_option=option,
    )
    expected = partial_prepayment(
        original, paid_instalments=3, prepay_amount=D("30000.00"), option=option
    )
    new_rows = [r for r in rows(loan) if r.status != RowStatus.PAID]
    assert [
        (r.instalment_no, r.due_date, r.opening_balance, r.principal, r.interest, r.fee)
        for r in new_rows
    ] == [
        (r.instalment_no, r.due_date, r.opening_balance, r.principal, r.interest, r.fee)
        for r in expected.rows
    ]
    if option == "shorten_term":
        assert len(new_rows) < 9 and new_rows[0].principal + new_rows[0].interest == D("10327.97")
    else:
        assert len(new_rows) == 9 and new_rows[0].instalment < D("10377.97")
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert loan.principal_outstanding == D("90669.93") - D("30000.00")
    assert repayment.effects["fee"] == "600.00"
    assert loan_balances(loan_id=loan.pk)["fee_income"] == D("150.00") + D("600.00")
    assert_ledger_matches(loan)
    # the next period trues up to the new first row's interest
    loan_accrue(loan_id=loan.pk, through=new_rows[0].due_date)
    assert_ledger_matches(loan)


def test_restructure_capitalises_arrears_keeps_the_old_schedule_and_needs_permission():
    loan = make_loan()
    set_day(dt.date(2026, 3, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 19))
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    balances = loan_balances(loan_id=loan.pk)
    with pytest.raises(ApprovalError) as exc:
        loan_restructure_submit(loan_id=loan.pk, term_months=24, actor=agent, reason="失业")
    assert exc.value.code == "forbidden"
    assert loan_balances(loan_id=loan.pk) == balances
    assert not ApprovalRequest.objects.exists()
    agent.user_permissions.add(Permission.objects.get(codename="restructure_loan"))
    agent = type(agent).objects.get(pk=agent.pk)
    checker = approvals_support.second_person(agent)
    approvals_support.loan_restructure(
        maker=agent, checker=checker, loan_id=loan.pk, term_months=24, reason="失业，展期至 24 期"
    )
    loan.refresh_from_db()
    # interest 600.00 + 551.36 + 5 days 83.74, fees 100.00, penalty 85.14 + 12.90
    assert loan.principal_outstanding == D("120000.00") + D("1433.14")
    expected = reamortize(
        outstanding_principal=D("121433.14"),
        annual_rate=D("0.06"),
        term_months=24,
        method="equal_instalment",
        value_date=dt.date(2026, 3, 20),
        day_count="30/360",
        fee_per_instalment=D("50.00"),
        first_instalment_no=1,
    )
    assert [(r.instalment_no, r.due_date, r.principal, r.interest) for r in rows(loan)] == [
        (r.instalment_no, r.due_date, r.principal, r.interest) for r in expected.rows
    ]
    assert (loan.status, loan.schedule_version, loan.restructure_count) == ("restructured", 2, 1)
    old = list(loan.schedule_rows_of_version(1))
    assert len(old) == 12 and all(r.superseded_by_version == 2 for r in old)
    entry = AuditEntry.objects.get(action="loan_restructure")
    assert (entry.actor, entry.data["four_eyes"]["maker"]) == (checker, agent.username)
    figures = assert_ledger_matches(loan)
    assert figures["interest_receivable"] == figures["penalty_receivable"] == D("0.00")


def test_every_posting_path_keeps_the_ledger_equal_to_the_loan():
    loan = make_loan()
    checks = []

    def step(name):
        assert_ledger_matches(loan)
        checks.append(name)

    step("funding")
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 2, 14))
    step("accrual")
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 2, 15))
    step("instalment due + true-up")
    set_day(dt.date(2026, 2, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 2, 19))
    step("penalty")
    paid = repayment_post(loan_id=loan.pk, amount="12000.00", source="online", actor="p")
    step("repayment + overpayment")
    set_day(dt.date(2026, 3, 15))
    suspense_apply(loan_id=loan.pk)
    step("suspense applied")
    set_day(dt.date(2026, 3, 16))
    repayment_reverse(repayment_id=paid.pk, reason="退票", actor="bank")
    step("reversal")
    set_day(dt.date(2026, 4, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 4, 20))
    step("accrual with arrears")
    arrears = sum((r.amount_unpaid for r in rows(loan) if r.due_date < dt.date(2026, 4, 20)), D(0))
    repayment_post(loan_id=loan.pk, amount=arrears, source="manual", actor="p")
    step("arrears cleared")
    quote = payoff_quote_issue(loan_id=loan.pk, actor="p")
    repayment_post(
        loan_id=loan.pk,
        amount=quote.total,
        source="online",
        actor="p",
        purpose="payoff",
        payoff_quote_id=quote.pk,
    )
    step("early settlement")
    other = make_loan()
    set_day(dt.date(2026, 6, 1))
    loan_charge_off(loan_id=other.pk, actor="collections", reason="失联")
    other.refresh_from_db()
    assert other.status == "charged_off"
    receivables = {
        k: v for k, v in loan_balances(loan_id=other.pk).items() if k.endswith("_receivable")
    }
    assert set(receivables.values()) == {D("0.00")}
    assert trial_balance().total == 0
    assert JournalEntry.objects.filter(loan_id=loan.pk).count() > 8
    assert len(checks) == 10


def test_payoff_on_a_quote_taken_before_an_instalment_was_paid_is_an_ordinary_repayment():
    # the auto-debit file paying instalment 4 after the customer took her quote, just before
    # her payoff arrives (found by bench/repayments.py --mode contention): the quote settles
    # principal that instalment already paid
    loan = make_loan()
    _pay_on_due_dates(loan, 3)
    fourth = rows(loan)[3]
    set_day(fourth.due_date)
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
    repayment_post(loan_id=loan.pk, amount=fourth.instalment, source="auto_debit", actor="bank")
    loan.refresh_from_db()
    principal, suspense = loan.principal_outstanding, loan.suspense_balance
    repayment = repayment_post(
        loan_id=loan.pk,
        amount=quote.total,
        source="online",
        actor="pay",
        purpose="payoff",
        payoff_quote_id=quote.pk,
    )
    loan.refresh_from_db()
    quote.refresh_from_db()
    assert (loan.status, loan.schedule_version, quote.status) == ("active", 1, "issued")
    assert (repayment.purpose, repayment.effects) == (
        "instalment",
        {"fallback": "paid_since_quote"},
    )
    # nothing else is due today: the money waits in suspense, the principal is untouched
    assert (loan.principal_outstanding, loan.suspense_balance) == (
        principal,
        suspense + quote.total,
    )
    assert_ledger_matches(loan)
