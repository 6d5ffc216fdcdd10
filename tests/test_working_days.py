"""Working days follow the State Council's holiday notice: holidays off, 调休 weekends worked."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.working_days import is_working_day, working_days_after

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 10, 1), False),  # 国庆, a Thursday
        (D(2026, 10, 7), False),  # 国庆, a Wednesday
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday worked in exchange
        (D(2026, 10, 11), False),  # an ordinary Sunday
        (D(2026, 9, 20), True),  # Sunday worked in exchange
        (D(2026, 2, 14), True),  # Saturday before 春节, worked
        (D(2026, 2, 23), False),  # Monday, last day of 春节
        (D(2026, 12, 31), True),
    ],
)
def test_the_calendar_knows_holidays_and_worked_weekends(day, working):
    assert is_working_day(day) is working


def test_five_working_days_across_national_day():
    # 09-30 Wed; 10-01..07 off; 10-08 Thu, 10-09 Fri, 10-10 Sat (调休), 10-12 Mon, 10-13 Tue
    assert working_days_after(D(2026, 9, 30), 5) == D(2026, 10, 13)
    # 09-29 Tue: 09-30 is the first, then the four after the holiday
    assert working_days_after(D(2026, 9, 29), 5) == D(2026, 10, 12)
    # 09-18 Fri: Sunday 09-20 is worked, so 09-20, 21, 22, 23, 24
    assert working_days_after(D(2026, 9, 18), 5) == D(2026, 9, 24)


def test_an_ordinary_week_counts_monday_to_friday():
    assert working_days_after(D(2026, 3, 6), 5) == D(2026, 3, 13)
