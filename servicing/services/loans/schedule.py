"""Schedule versions: model rows from the pricing engine's schedule and back, the contract's
schedule compared row for row, and a new version superseding the unpaid rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from autofin.bulk import rows_insert
from autofin.money import to_decimal
from autofin.pricing import (
    DayCount,
    Method,
    ReadOutRow,
    Schedule,
    ScheduleRow,
    add_months,
)
from servicing.models.loans import Loan, LoanScheduleRow, RowStatus

DEFAULT_PENALTY_MARKUP = Decimal("0.5")


# --- schedule --------------------------------------------------------------------------------


def _rows_accruing(schedule: Schedule):
    """(accrual start, row) for each read-out row: a row accrues from the previous row's due
    date, the first from the schedule's value date."""
    start = schedule.value_date
    for row in schedule.rows_read_out():
        yield start, row
        start = row.due_date


def schedule_rows_build(*, loan: Loan, schedule: Schedule, version: int) -> list[LoanScheduleRow]:
    """Unsaved model rows for a pricing Schedule (its first row accrues from its value date)."""
    return [
        LoanScheduleRow(
            loan=loan,
            schedule_version=version,
            accrual_start=start,
            instalment_no=row.instalment_no,
            due_date=row.due_date,
            opening_balance=row.opening_balance,
            principal=row.principal,
            interest=row.interest,
            fee=row.fee,
            instalment=row.instalment,
            closing_balance=row.closing_balance,
        )
        for start, row in _rows_accruing(schedule)
    ]


# the read-out row's columns, in its order, after the loan, the version and the accrual start
_ROW_COLUMNS = ("loan_id", "schedule_version", "accrual_start", *ReadOutRow._fields)


def schedule_rows_insert(*, loan_id: int, schedule: Schedule, version: int) -> int:
    """Insert a pricing Schedule's rows as the loan's `version` in one statement (the rows of
    `schedule_rows_build`, without a model instance each); returns how many."""
    return rows_insert(
        LoanScheduleRow,
        _ROW_COLUMNS,
        [(loan_id, version, start, *row) for start, row in _rows_accruing(schedule)],
    )


def pricing_schedule(*, loan: Loan, rows: list[LoanScheduleRow]) -> Schedule:
    """The pricing engine's view of the schedule in force (rows by instalment number)."""
    ordered = sorted(rows, key=lambda r: r.instalment_no)
    return Schedule(
        rows=tuple(
            ScheduleRow.from_amounts(
                instalment_no=r.instalment_no,
                due_date=r.due_date,
                opening_balance=r.opening_balance,
                principal=r.principal,
                interest=r.interest,
                fee=r.fee,
            )
            for r in ordered
        ),
        method=Method.parse(loan.method),
        annual_rate=loan.schedule_rate,
        day_count=DayCount.parse(loan.day_count),
        value_date=ordered[0].accrual_start,
        broken_first_period=_first_period_broken(ordered[0]),
        fee_per_instalment=loan.fee_per_instalment,
        balloon_amount=loan.balloon_amount,
    )


def _first_period_broken(row: LoanScheduleRow) -> bool:

    return add_months(row.accrual_start, 1) != row.due_date


def paid_instalments(rows: list[LoanScheduleRow]) -> int:
    """The instalment_no of the last row paid in an unbroken run from the start (0 if none)."""
    count = 0
    for r in sorted(rows, key=lambda r: r.instalment_no):
        if r.status != RowStatus.PAID:
            break
        count = r.instalment_no
    return count


def schedule_supersede(
    *, loan: Loan, rows: list[LoanScheduleRow], new_rows: list[LoanScheduleRow]
) -> int:
    """Retire the given rows in favour of `new_rows` as the loan's next schedule version."""
    version = loan.schedule_version + 1
    for r in rows:
        r.superseded_by_version = version
    if rows:
        # one value for every row: a plain UPDATE ... WHERE id IN, not bulk_update's CASE per row;
        # naming the loan (the partition key) opens its one partition, not all sixteen
        LoanScheduleRow.objects.filter(loan=loan, pk__in=[r.pk for r in rows]).update(
            superseded_by_version=version
        )
    for r in new_rows:
        r.schedule_version = version
    LoanScheduleRow.objects.bulk_create(new_rows)
    loan.schedule_version = version
    return version


def penalty_markup_of(product_rules: dict) -> Decimal:
    """The product's penalty markup (罚息上浮比例) the contract was priced with; 50 % when the
    rules predate the field. Repricing carries it forward onto the new contract rate."""
    return to_decimal(product_rules.get("penalty_markup") or DEFAULT_PENALTY_MARKUP)


def schedule_matches(schedule: Schedule, contract_rows: list[dict]) -> bool:
    """Whether the engine's schedule is the contract's, row for row (dates and amounts)."""
    if len(schedule.rows) != len(contract_rows):
        return False
    for row, signed in zip(schedule.rows_read_out(), contract_rows, strict=True):
        for key, value in row.items():
            theirs = signed.get(key)
            if isinstance(value, dt.date):
                same = str(theirs) == value.isoformat()
            elif isinstance(value, Decimal):
                same = theirs is not None and to_decimal(theirs) == value
            else:
                same = theirs == value
            if not same:
                return False
    return True
