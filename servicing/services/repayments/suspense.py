"""Suspense (溢缴款): an overpayment held for the customer, applied to instalments as they fall
due (the nightly batch's due step calls `suspense_apply`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from autofin.money import ZERO
from servicing.models.loans import CLOSED_STATUSES
from servicing.models.repayments import Repayment, RepaymentSource, RepaymentStatus
from servicing.services.accrual import penalty_accrue_in_memory, penalty_post
from servicing.services.loans.account import loan_lock, posting_date
from servicing.services.repayments.apply import repayment_apply_locked
from servicing.services.repayments.waterfall import eligible_rows

# --- suspense ------------------------------------------------------------------------------------


def suspense_apply(
    *, loan_id: int, actor: Any = "eod", business_date: dt.date | None = None
) -> Repayment | None:
    """Apply the loan's suspense (overpayments) to what is due, by the waterfall. The nightly batch
    calls it on due dates; None when there is nothing to apply."""
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id, eligible_on=date)
        if loan.suspense_balance <= 0 or loan.status in CLOSED_STATUSES:
            return None
        if any(r.due_date < date and r.amount_unpaid > 0 for r in rows):
            total, segments = penalty_accrue_in_memory(loan, rows, date)
            penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
        overdue, current = eligible_rows(rows, date)
        due = sum((r.amount_unpaid for r in overdue), ZERO)
        if current is not None:
            due += current.amount_unpaid
        amount = min(due, loan.suspense_balance)
        if amount <= 0:
            return None
        repayment = Repayment.objects.create(
            loan=loan,
            source=RepaymentSource.SUSPENSE,
            amount=amount,
            received_on=date,
            status=RepaymentStatus.POSTED,
        )
        return repayment_apply_locked(
            loan=loan, rows=rows, repayment=repayment, business_date=date, actor=actor
        )
