"""Helpers for the nightly-settlement tests: a small book, and the state to compare."""

from __future__ import annotations

import datetime as dt

from servicing.models.loans import Loan, LoanStatusChange, PenaltyAccrual
from servicing.selectors.ledger import loan_balances


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def book_state(loan_ids: list[int]) -> dict:
    """Everything the per-loan reference and the set-based batch must agree on."""
    state = {}
    for loan in Loan.objects.filter(pk__in=loan_ids).order_by("pk"):
        state[loan.pk] = {
            "loan": (
                loan.status,
                loan.status_date,
                loan.accrued_through,
                loan.accrual_period_posted,
                loan.accrual_remainder,
                loan.principal_outstanding,
                loan.suspense_balance,
            ),
            "rows": [
                (
                    r.instalment_no,
                    r.status,
                    r.penalty,
                    r.penalty_paid,
                    r.penalty_through,
                    r.principal_paid,
                    r.interest_paid,
                )
                for r in loan.schedule_rows()
            ],
            "balances": dict(loan_balances(loan_id=loan.pk)),
            "penalty": sorted(
                PenaltyAccrual.objects.filter(row__loan=loan).values_list(
                    "row__instalment_no", "start", "end", "base", "daily_amount", "amount"
                )
            ),
            "status_changes": list(
                LoanStatusChange.objects.filter(loan=loan)
                .order_by("id")
                .values_list("from_status", "to_status", "business_date", "actor_label")
            ),
        }
    return state
