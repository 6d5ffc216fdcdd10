"""Helpers for the lease tests: a lease through funding (the real services, a 直租 or 售后回租
product), the nightly accrual, due and invoicing steps run day by day, the lease books."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from servicing.eod.registry import StepContext
from servicing.eod.steps.accrual import accrual_chunk
from servicing.eod.steps.due import due_chunk
from servicing.eod.steps.lease_invoicing import lease_invoicing_chunk
from servicing.models.loans import Loan
from servicing.selectors.leases import lease_books_reconcile
from tests.servicing.loan_factory import loan_through_funding

D = Decimal
ZERO = D("0.00")
RULES = {"penalty_markup": "0.5", "lock_in_months": 0, "early_settlement_fee_rate": "0"}


def lease_funded(*, contract_type: str, amount: str = "200000.00", term: int = 36) -> Loan:
    """A lease of `amount` over `term` months, equal rents at 6 %/yr, 30/360, no fee."""
    return loan_through_funding(
        amount=amount, rate="0.06", term=term, fee="0.00", rules=RULES,
        contract_type=contract_type,
    )  # fmt: skip


def nights(start: dt.date, end: dt.date, loans: list[Loan]) -> list[dict]:
    """The accrual, due and lease invoicing steps for every day from start to end inclusive;
    returns the invoicing step's results."""
    lo, hi = min(x.pk for x in loans), max(x.pk for x in loans)
    day, results = start, []
    while day <= end:
        ctx = StepContext(business_date=day, batch_id=0, step_id=0)
        accrual_chunk(ctx, lo, hi)
        due_chunk(ctx, lo, hi)
        results.append(lease_invoicing_chunk(ctx, lo, hi))
        day += dt.timedelta(days=1)
    return results


def books_reconcile() -> dict:
    """Every lease account equals its sub-ledger to the fen; returns {account: balance}."""
    rows = lease_books_reconcile()
    assert [(r.account, r.difference) for r in rows] == [(r.account, ZERO) for r in rows]
    return {r.account: r.ledger for r in rows}
