"""Early settlement (提前结清) quotes and partial prepayment (部分提前还款).

Both work from a schedule and the number of instalments already paid. ``paid_instalments`` is
the loan's count (the ``instalment_no`` of the last paid row), so it also works on a schedule
produced by an earlier prepayment or restructure, whose rows continue the loan's numbering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from autofin.pricing.amortisation import Method, amortise_rows, level_instalment_fen
from autofin.pricing.dates import DayCount, add_months, check_date, period_days
from autofin.pricing.errors import EarlySettlementLockedError, PricingError
from autofin.pricing.money import div_half_up, fen_to_decimal, rate_ratio, to_fen
from autofin.pricing.rows import ScheduleRow
from autofin.pricing.schedule import MAX_ANNUAL_RATE, Schedule, schedule_new


class PrepaymentOption(StrEnum):
    SHORTEN_TERM = "shorten_term"  # keep the instalment, fewer rows
    LOWER_INSTALMENT = "lower_instalment"  # keep the number of rows, smaller instalment


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    """What the customer pays to settle the loan on ``as_of``."""

    as_of: date
    outstanding_principal: Decimal
    accrued_interest: Decimal
    early_settlement_fee: Decimal
    total: Decimal
    accrual_start: date  # last due date paid, or the value date
    accrual_days: int  # under the day count (30E/360 days or actual days)


def payoff_quote(
    schedule: Schedule,
    *,
    as_of: date,
    paid_instalments: int,
    early_settlement_fee_rate: Decimal,
    lock_in_months: int,
    annual_rate: Decimal | None = None,
    day_count: DayCount | str | None = None,
    value_date: date | None = None,
) -> PayoffQuote:
    """Early-settlement quote: outstanding principal + interest accrued since the last paid due
    date (or the value date) to ``as_of`` by the day count + fee rate x outstanding principal.

    ``annual_rate``, ``day_count`` and ``value_date`` default to the schedule's; pass them when
    the rate in force or the loan's value date differ (a repriced or restructured loan). The
    lock-in runs from ``value_date`` for ``lock_in_months`` months (month-end clamped); settling
    on the first day after it is allowed. ``as_of`` must not be after the next unpaid due date:
    arrears and penalty interest are servicing's business, not a pricing question.
    Fees in the ``fee`` column of unpaid rows are not part of the quote. Amounts are rounded
    half-up to the fen.
    """
    rows, index = _unpaid_rows(schedule, paid_instalments)
    rate = schedule.annual_rate if annual_rate is None else annual_rate
    rate_num, rate_den = rate_ratio(rate, field="annual_rate", maximum=MAX_ANNUAL_RATE)
    fee_num, fee_den = rate_ratio(early_settlement_fee_rate, field="early_settlement_fee_rate")
    basis = schedule.day_count if day_count is None else DayCount.parse(day_count)
    loan_value_date = schedule.value_date if value_date is None else value_date
    check_date(as_of, "as_of")
    check_date(loan_value_date, "value_date")
    if type(lock_in_months) is not int or lock_in_months < 0:
        raise PricingError("invalid_lock_in", f"lock_in_months must be >= 0, got {lock_in_months}")

    lock_in_end = add_months(loan_value_date, lock_in_months)
    if as_of < lock_in_end:
        raise EarlySettlementLockedError(
            f"early settlement is not allowed before {lock_in_end} "
            f"({lock_in_months} months lock-in from {loan_value_date}); as_of is {as_of}"
        )
    accrual_start = schedule.value_date if index == 0 else schedule.rows[index - 1].due_date
    next_due = rows[0].due_date
    if not accrual_start <= as_of <= next_due:
        raise PricingError(
            "as_of_out_of_range",
            f"as_of must be between the last paid due date {accrual_start} and the next due date "
            f"{next_due}, got {as_of}; settle arrears first",
        )

    outstanding = rows[0].opening_fen
    days, year_days = period_days(accrual_start, as_of, basis)
    interest = div_half_up(outstanding * rate_num * days, rate_den * year_days)
    fee = div_half_up(outstanding * fee_num, fee_den)
    return PayoffQuote(
        as_of=as_of,
        outstanding_principal=fen_to_decimal(outstanding),
        accrued_interest=fen_to_decimal(interest),
        early_settlement_fee=fen_to_decimal(fee),
        total=fen_to_decimal(outstanding + interest + fee),
        accrual_start=accrual_start,
        accrual_days=days,
    )


def partial_prepayment(
    schedule: Schedule,
    *,
    paid_instalments: int,
    prepay_amount: Decimal,
    option: PrepaymentOption | str,
    annual_rate: Decimal | None = None,
) -> Schedule:
    """The new schedule for the unpaid rows after a principal prepayment.

    The prepayment is made right after instalment ``paid_instalments`` is paid, on its due date
    (or on the value date when nothing is paid yet), so no interest accrues between; interest up
    to that day is settled with the instalment. The new rows keep the original due dates and
    numbering; ``annual_rate`` defaults to the schedule's.

    * ``shorten_term``: the instalment stays (the level instalment; for equal principal, the
      principal part of the next row) and rows drop off the end; the last row absorbs the
      residue, so it is usually smaller than the others. Equal instalments and equal principal
      only.
    * ``lower_instalment``: the remaining number of rows stays and the instalment is recomputed
      (interest-only and balloon loans too; a balloon loan keeps its balloon).

    The new schedule's ``value_date`` is the prepayment date. A full prepayment is an early
    settlement: use ``payoff_quote``.
    """
    rows, index = _unpaid_rows(schedule, paid_instalments)
    option = _prepayment_option(option)
    rate = schedule.annual_rate if annual_rate is None else annual_rate
    rate_num, rate_den = rate_ratio(rate, field="annual_rate", maximum=MAX_ANNUAL_RATE)
    principal, balloon = _principal_left(rows[0].opening_fen, prepay_amount, schedule)
    start = schedule.value_date if index == 0 else schedule.rows[index - 1].due_date
    # Only the schedule's own first period can be broken; later periods are regular months.
    broken = schedule.broken_first_period and index == 0
    monthly = (rate_num, rate_den * 12)
    first = monthly
    if broken:
        days, year_days = period_days(start, rows[0].due_date, schedule.day_count)
        first = (rate_num * days, rate_den * year_days)
    dates = [row.due_date for row in rows]
    # The fee the unpaid rows carry (a schedule rebuilt from stored rows may not restate it).
    fee = rows[0].fee_fen
    method = schedule.method
    instalment: int | None = None
    parts: list[int] | None = None
    if option is PrepaymentOption.SHORTEN_TERM:
        dates, instalment, parts = _shorten_term(schedule, rows, principal, monthly, first, dates)
    new_rows = amortise_rows(
        method=method,
        principal=principal,
        monthly=monthly,
        first=first,
        dates=dates,
        fee=fee,
        balloon=balloon,
        first_no=rows[0].instalment_no,
        instalment=instalment,
        principal_parts=parts,
    )
    return schedule_new(
        new_rows,
        method,
        rate,
        schedule.day_count,
        start,
        broken,
        fen_to_decimal(fee),
        schedule.balloon_amount,
    )


def _prepayment_option(option: PrepaymentOption | str) -> PrepaymentOption:
    try:
        return PrepaymentOption(option)
    except ValueError:
        raise PricingError(
            "unknown_prepayment_option",
            f"option must be one of {[o.value for o in PrepaymentOption]}, got {option!r}",
        ) from None


def _principal_left(
    outstanding: int, prepay_amount: Decimal, schedule: Schedule
) -> tuple[int, int]:
    """The principal after the prepayment, and the balloon it must stay above (else: a payoff)."""
    prepay = to_fen(prepay_amount, field="prepay_amount", allow_zero=False)
    balloon = to_fen(schedule.balloon_amount, field="balloon_amount")
    principal = outstanding - prepay
    if principal <= balloon:
        raise PricingError(
            "prepayment_out_of_range",
            f"prepay_amount must leave principal outstanding (above any balloon); outstanding "
            f"is {fen_to_decimal(outstanding)}, got {prepay_amount}; use payoff_quote to settle",
        )
    return principal, balloon


def _shorten_term(
    schedule: Schedule,
    rows: tuple[ScheduleRow, ...],
    principal: int,
    monthly: tuple[int, int],
    first: tuple[int, int],
    dates: list[date],
) -> tuple[list[date], int | None, list[int] | None]:
    """Keep the instalment (or the principal part), drop rows off the end: the remaining due
    dates, the level instalment to keep, and the equal-principal parts."""
    method = schedule.method
    if method is Method.EQUAL_INSTALMENT:
        instalment = _level_instalment_of(schedule, monthly)
        return (
            dates[: _rows_needed(principal, instalment, monthly, first, len(dates))],
            instalment,
            None,
        )
    if method is Method.EQUAL_PRINCIPAL:
        part = rows[0].principal_fen
        # A zero part only happens on amounts below a fen a month: nothing to shorten.
        count = min(len(dates), -(-principal // part)) if part else len(dates)
        return dates[:count], None, [part] * (count - 1) + [principal - part * (count - 1)]
    raise PricingError(
        "prepayment_option_not_supported",
        f"{PrepaymentOption.SHORTEN_TERM} is not offered for {method} loans; "
        f"use {PrepaymentOption.LOWER_INSTALMENT}",
    )


def _unpaid_rows(schedule: Schedule, paid_instalments: int) -> tuple[tuple[ScheduleRow, ...], int]:
    """The unpaid rows and the index of the first one."""
    index = (
        paid_instalments - (schedule.first_instalment_no - 1)
        if type(paid_instalments) is int
        else -1
    )
    if not 0 <= index < len(schedule.rows):
        raise PricingError(
            "paid_instalments_out_of_range",
            f"paid_instalments must be between {schedule.first_instalment_no - 1} and "
            f"{schedule.rows[-1].instalment_no - 1}, got {paid_instalments!r}",
        )
    return schedule.rows[index:], index


def _level_instalment_of(schedule: Schedule, monthly: tuple[int, int]) -> int:
    """The level instalment (principal + interest) the schedule was built with.

    Every row but the last pays exactly it, whatever its interest; a one-row schedule has no
    regular row, so it is recomputed.
    """
    if len(schedule.rows) > 1:
        first = schedule.rows[0]
        return first.principal_fen + first.interest_fen
    return level_instalment_fen(schedule.rows[0].opening_fen, monthly, 1)


def _rows_needed(
    principal: int,
    instalment: int,
    monthly: tuple[int, int],
    first: tuple[int, int],
    limit: int,
) -> int:
    """How many rows paying ``instalment`` clear ``principal`` (the last row pays the rest),
    capped at ``limit``: the residue of the original schedule may leave the last row a few fen
    above the instalment, and the term never grows."""
    balance = principal
    num, den = first
    for count in range(1, limit + 1):
        interest = div_half_up(balance * num, den)
        if balance + interest <= instalment:
            return count
        balance -= instalment - interest
        num, den = monthly
    return limit
