"""Due dates and day counts.

Due dates are always computed from one anchor date + k months, clamped to the month's end, never
by chaining month additions: chaining would turn 31 Jan -> 28 Feb -> 28 Mar, while the contract
means 31 Jan -> 28 Feb -> 31 Mar.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

from autofin.pricing.errors import PricingError


class DayCount(StrEnum):
    """Day-count conventions for broken periods and accruals (regular months are rate / 12)."""

    THIRTY_360 = "30/360"  # 30E/360 (Eurobond basis): day 31 counts as day 30 at both ends
    ACT_365F = "ACT/365F"  # actual days / 365, also in leap years

    @classmethod
    def parse(cls, value: DayCount | str) -> DayCount:
        try:
            return _DAY_COUNTS[value]
        except (KeyError, TypeError):
            raise PricingError(
                "unknown_day_count", f"day_count must be one of {list(_DAY_COUNTS)}, got {value!r}"
            ) from None


_DAY_COUNTS: dict[str, DayCount] = {member.value: member for member in DayCount}


# Days of each month in a common year; February gains a day in leap years (_month_days).
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year: int, month: int) -> int:
    # calendar.monthrange also works out the month's first weekday, most of its cost; a cold
    # due-date cache (bench/schedules.py) calls this for every row.
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(anchor: date, months: int) -> date:
    """anchor + months, clamped to the last day of the target month (31 Jan + 1 -> 28/29 Feb)."""
    month_index = anchor.month - 1 + months
    year = anchor.year + month_index // 12
    month = month_index % 12 + 1
    day = min(anchor.day, _month_days(year, month))
    return date(year, month, day)


@lru_cache(maxsize=8192)
def due_dates(anchor: date, first_offset: int, count: int) -> tuple[date, ...]:
    """``count`` due dates: anchor + first_offset months, anchor + first_offset + 1 months, ...

    Cached because quoting builds many schedules on the same dates (the cache holds tuples of
    immutable dates, so sharing them is safe).
    """
    day = anchor.day
    first = anchor.year * 12 + anchor.month - 1 + first_offset
    if day <= 28:
        # Every month has the anchor's day: nothing to clamp.
        return tuple([date(m // 12, m % 12 + 1, day) for m in range(first, first + count)])
    return tuple([add_months(anchor, first_offset + k) for k in range(count)])


def days_30e_360(start: date, end: date) -> int:
    """Days between two dates under 30E/360: 30-day months, the 31st counts as the 30th."""
    d1 = min(start.day, 30)
    d2 = min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


YEAR_DAYS = {DayCount.THIRTY_360: 360, DayCount.ACT_365F: 365}


def period_days(start: date, end: date, day_count: DayCount) -> tuple[int, int]:
    """(days, days in the year) for an accrual from ``start`` to ``end`` under ``day_count``."""
    if day_count is DayCount.THIRTY_360:
        return days_30e_360(start, end), YEAR_DAYS[day_count]
    return (end - start).days, YEAR_DAYS[day_count]


def period_days_sql(*, start: str, end: str, day_count: str) -> tuple[str, str]:
    """`period_days` as two PostgreSQL expressions (days, days in the year) over SQL expressions
    of two dates and a day-count code, for the batch's set-based accrual: the same rule, not a
    second copy of it."""

    def part(field: str, expr: str) -> str:
        return f"extract({field} FROM {expr})"

    thirty = (
        f"(360 * ({part('year', end)} - {part('year', start)})"
        f" + 30 * ({part('month', end)} - {part('month', start)})"
        f" + (least({part('day', end)}, 30) - least({part('day', start)}, 30)))"
    )
    days = f"(CASE WHEN {day_count} = '{DayCount.THIRTY_360}' THEN {thirty} ELSE ({end} - {start}) END)"
    year = " ".join(f"WHEN {day_count} = '{basis}' THEN {n}" for basis, n in YEAR_DAYS.items())
    return days, f"(CASE {year} END)"


def check_date(value: object, field: str) -> None:
    # A datetime would compare unequal to the dates it is mixed with: refuse it.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise PricingError("invalid_type", f"{field} must be a date, got {value!r}")
