"""Shared helpers for the loan, repayment and settlement tests.

`make_loan` makes a loan through funding (tests/servicing/loan_factory.py): product, application,
signed contract, maker-checked disbursement. There is no other way to a loan in these tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from autofin.business_date import business_date_set
from servicing.models.loans import Loan
from servicing.selectors.ledger import loan_balances
from servicing.selectors.loans import loan_figures
from tests.servicing.loan_factory import RULES, VALUE_DATE, loan_through_funding

D = Decimal
make_loan = loan_through_funding
__all__ = ["D", "RULES", "VALUE_DATE", "assert_ledger_matches", "make_loan", "rows", "set_day"]


def set_day(day: dt.date) -> dt.date:
    return business_date_set(actor="test", date=day, reason="test")


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
