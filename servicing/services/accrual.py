"""Interest accrual (计提), instalments falling due, and penalty interest (罚息).

Interest accrues daily at full precision: for the days (a, b] of a row's period the amount is
``opening balance x rate x days / year`` under the loan's day count (30E/360 or ACT/365F), added
to the loan's `accrual_remainder` (10 places); whole fen are posted (interest receivable Dr /
interest income Cr) and the part below a fen stays in the remainder. On the row's due date the
period is TRUED UP: the difference between the schedule's interest for the row and what was
posted for the period is posted (either side), and the remainder is cleared, so the ledger's
interest equals the schedule's to the fen. The row's fee is posted on its due date too
(fee receivable Dr / fee income Cr).

Penalty interest runs on each row in force that is past its due date, on its unpaid principal and
interest, at the loan's penalty rate under the penalty day count of `servicing.loan_rules.penalty_daily`
(rate / 360 a day, half-up to the fen; see `PenaltyAccrual`); posted penalty receivable Dr / penalty income Cr.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from autofin.money import FEN, ZERO
from autofin.pricing import DayCount
from autofin.pricing.dates import period_days
from servicing.loan_rules import penalty_daily
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanScheduleRow,
    PenaltyAccrual,
    RowStatus,
)
from servicing.services.leases.accounting import lease_unearned_sync
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import loan_lock
from servicing.services.loans.status import loan_status_refresh, row_status

REMAINDER_PLACES = Decimal("0.0000000001")
LOAN_ACCRUAL_FIELDS = ["accrued_through", "accrual_period_posted", "accrual_remainder"]


def signed_lines(debit: str, credit: str, amount: Decimal, loan_id: int) -> list[tuple]:
    """Two lines moving `amount` from credit to debit; a negative amount flips the sides."""
    if amount > 0:
        return [(debit, "D", amount, loan_id), (credit, "C", amount, loan_id)]
    if amount < 0:
        return [(debit, "C", -amount, loan_id), (credit, "D", -amount, loan_id)]
    return []


def interest_accrue_in_memory(
    loan: Loan, rows: list[LoanScheduleRow], through: dt.date
) -> tuple[Decimal, Decimal, set[int]]:
    """Accrue the locked loan's interest from `accrued_through` to `through` in memory.

    `rows` are the rows in force by instalment number (paid ones too: a period accrues whether or
    not it was paid in advance). Returns (interest to post, signed; fees falling due; pks of the
    rows whose due date was reached).
    """
    if through <= loan.accrued_through:
        return ZERO, ZERO, set()
    rate = loan.schedule_rate
    basis = DayCount.parse(loan.day_count)
    interest = ZERO
    fees = ZERO
    reached: set[int] = set()
    d = loan.accrued_through
    index = 0
    while d < through:
        while index < len(rows) and rows[index].due_date <= d:
            index += 1
        if index == len(rows):
            break  # past the last due date: no contractual interest
        row = rows[index]
        end = min(through, row.due_date)
        days, year_days = period_days(d, end, basis)
        exact = row.opening_balance * rate * days / year_days + loan.accrual_remainder
        post = exact.quantize(FEN, rounding=ROUND_DOWN)
        loan.accrual_remainder = (exact - post).quantize(REMAINDER_PLACES, rounding=ROUND_HALF_UP)
        loan.accrual_period_posted += post
        interest += post
        if end == row.due_date:
            interest += row.interest - loan.accrual_period_posted  # true-up to the schedule
            loan.accrual_period_posted = ZERO
            loan.accrual_remainder = ZERO
            fees += row.fee
            reached.add(row.pk)
        d = end
    loan.accrued_through = through
    return interest, fees, reached


def penalty_accrue_in_memory(
    loan: Loan, rows: list[LoanScheduleRow], through: dt.date
) -> tuple[Decimal, list[PenaltyAccrual]]:
    """Penalty on each row past due with unpaid principal + interest, up to `through`."""
    total = ZERO
    segments: list[PenaltyAccrual] = []
    for row in rows:
        if row.due_date >= through or row.superseded_by_version is not None:
            continue
        base = row.principal_unpaid + row.interest_unpaid
        if base <= 0:
            continue
        start = max(row.penalty_through or row.due_date, row.due_date)
        if start >= through:
            continue
        days = (through - start).days
        daily = penalty_daily(base, loan.penalty_rate)
        amount = daily * days
        segments.append(
            PenaltyAccrual(
                row=row, start=start, end=through, base=base, daily_amount=daily, amount=amount
            )
        )
        row.penalty += amount
        row.penalty_through = through
        total += amount
    return total, segments


def penalty_post(
    *,
    loan: Loan,
    total: Decimal,
    segments: list[PenaltyAccrual],
    business_date: dt.date,
    actor: Any,
) -> None:
    """Post the segments' total (penalty receivable Dr / penalty income Cr), then save the
    segments naming that entry: two statements (the entry is one)."""
    penalty_entry_post(
        loan=loan, total=total, segments=segments, business_date=business_date, actor=actor
    )
    if segments:
        PenaltyAccrual.objects.bulk_create(segments)


def penalty_entry_post(
    *,
    loan: Loan,
    total: Decimal,
    segments: list[PenaltyAccrual],
    business_date: dt.date,
    actor: Any,
) -> None:
    """`penalty_post` but the segments, which name the entry and are left for the caller to
    save in its own statement (a repayment writes them with its allocations). The entry's key is
    fresh each time (a segment is accrued once: its row's `penalty_through` moves past it under
    the loan's lock), so it names the call, as the segments' new ids did."""
    if segments and total > 0:
        entry = journal_post(
            business_date=business_date,
            source_type=SourceType.PENALTY,
            source_id=loan.pk,
            lines=signed_lines(A.PENALTY_RECEIVABLE, A.PENALTY_INCOME, total, loan.pk),
            idempotency_key=f"penalty:{loan.pk}:{uuid.uuid4().hex}",
            description=memo("penalty_accrual"),
            actor=actor,
            loan_id=loan.pk,
        )
        for segment in segments:
            segment.journal_entry_id = entry.pk


def loan_accrue(
    *, loan_id: int, through: dt.date, actor: Any = "eod", business_date: dt.date | None = None
) -> Loan:
    """Accrue interest and penalty, post fees falling due and move rows to due / overdue, for
    the days up to and including `through` (the nightly batch calls it with the business date
    it closes). Idempotent: a second call for the same day posts nothing."""
    date = business_date or through
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        if loan.status in CLOSED_STATUSES:
            return loan
        start = loan.accrued_through
        interest, fees, _reached = interest_accrue_in_memory(loan, rows, through)
        lines = signed_lines(A.INTEREST_RECEIVABLE, A.INTEREST_INCOME, interest, loan.pk)
        lines += signed_lines(A.FEE_RECEIVABLE, A.FEE_INCOME, fees, loan.pk)
        if lines:
            journal_post(
                business_date=date,
                source_type=SourceType.ACCRUAL,
                source_id=loan.pk,
                lines=lines,
                idempotency_key=f"accrual:{loan.pk}:{start}:{through}",
                description=memo("interest_accrual", start=start, through=through),
                actor=actor,
                loan_id=loan.pk,
            )
        if through > start:
            loan.save(update_fields=[*LOAN_ACCRUAL_FIELDS, "updated_at"])
            lease_unearned_sync(loan=loan, on=date, actor=actor, key=f"{start}:{through}")
        total, segments = penalty_accrue_in_memory(loan, rows, through)
        penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
        changed = []
        for row in rows:
            status = row_status(row, through + dt.timedelta(days=1)) if row.due_date <= through \
                else row.status  # fmt: skip
            if row.due_date == through and status == RowStatus.OVERDUE:
                status = RowStatus.DUE  # due today: overdue only from tomorrow
            if status != row.status or any(s.row is row for s in segments):
                row.status = status
                changed.append(row)
        if changed:
            LoanScheduleRow.objects.bulk_update(changed, ["status", "penalty", "penalty_through"])
        loan_status_refresh(
            loan=loan, rows=rows, business_date=through + dt.timedelta(days=1), actor=actor
        )
    return loan
