"""Shared helpers for the loan, repayment and settlement tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from autofin.business_date import business_date_set
from autofin.roles import Role
from servicing.models import Loan
from servicing.selectors import loan_balances
from servicing.selectors_loans import loan_figures
from servicing.services.ledger import journal_post
from servicing.services.loans import loan_create
from tests.factories import UserFactory
from tests.servicing.loan_factory import loan_through_funding

D = Decimal
VALUE_DATE = dt.date(2026, 1, 15)
RULES = {"penalty_markup": "0.5", "lock_in_months": 3, "early_settlement_fee_rate": "0.02"}
_refs = itertools.count(1)


def set_day(day: dt.date) -> dt.date:
    return business_date_set(actor="test", date=day, reason="test")


def make_loan_posted(
    *,
    customer=None,
    amount: str = "120000.00",
    rate: str = "0.06",
    term: int = 12,
    method: str = "equal_instalment",
    value_date: dt.date = VALUE_DATE,
    fee: str = "50.00",
    rules: dict | None = None,
    day_count: str = "30/360",
    balloon: str = "0",
    fund: bool = True,
    customer_rate: str | None = None,
    rate_link: dict | None = None,
) -> Loan:
    customer = customer or UserFactory(roles=[Role.CUSTOMER], phone="13900000001")
    loan = loan_create(
        contract_ref=f"TEST-{next(_refs):06d}",
        application_id=None,
        customer_user_id=customer.pk,
        product_version_id=None,
        product_rules=RULES if rules is None else rules,
        amount_financed=D(amount),
        annual_rate=D(rate),
        term_months=term,
        method=method,
        value_date=value_date,
        day_count=day_count,
        fee_per_instalment=D(fee),
        balloon_amount=D(balloon),
        customer_rate=customer_rate,
        rate_link=rate_link,
        payees=[{"payee_type": "dealer", "amount": amount}],
        collateral={"vin": "LSVAU2180N2123456", "plate": "沪A12345", "vehicle": "大众 帕萨特"},
        business_date=value_date,
        actor="test",
    )
    if fund:
        funding(loan)
    return loan


def funding(loan: Loan) -> None:
    """What the disbursement code posts at funding: principal receivable Dr / bank clearing Cr."""
    journal_post(
        business_date=loan.value_date,
        source_type="disbursement",
        source_id=loan.pk,
        lines=[
            ("principal_receivable", "D", loan.amount_financed, loan.pk),
            ("bank_clearing", "C", loan.amount_financed, loan.pk),
        ],
        idempotency_key=f"test-funding:{loan.pk}",
        actor="test",
        loan_id=loan.pk,
    )


def assert_ledger_matches(loan: Loan) -> dict:
    """The loan's ledger balances equal the figures of its schedule rows and fields, to the fen."""
    loan.refresh_from_db()
    figures = loan_figures(loan=loan)
    balances = loan_balances(loan_id=loan.pk)
    got = {code: balances.get(code, D("0.00")) for code in figures}
    assert got == figures
    assert figures.get("principal_receivable", loan.principal_outstanding) == (
        loan.principal_outstanding
    )
    return figures


def rows(loan: Loan):
    return list(loan.schedule_rows())


make_loan = loan_through_funding
