"""Working days (工作日) in mainland China: Monday to Friday, less the statutory holidays, plus
the weekend days worked in exchange (调休上班), as the State Council publishes them each year
(国务院办公厅关于 YYYY 年部分节假日安排的通知).

Regulatory deadlines counted in working days (e.g. AML reports, 5 working days) read this one
table. A new year's notice is a new entry in ``HOLIDAYS`` and ``WORKED_WEEKENDS``; a year the
table does not cover counts Monday to Friday, so a deadline there may come early, never late.
"""

from __future__ import annotations

import datetime as dt


def _span(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    return frozenset(first + dt.timedelta(days=i) for i in range((last - first).days + 1))


D = dt.date

# 国办发明电〔2024〕12号 (2025) and the notice of 2025-11-04 (2026).
HOLIDAYS: frozenset[dt.date] = frozenset().union(
    # 2025
    _span(D(2025, 1, 1), D(2025, 1, 1)),  # 元旦
    _span(D(2025, 1, 28), D(2025, 2, 4)),  # 春节
    _span(D(2025, 4, 4), D(2025, 4, 6)),  # 清明节
    _span(D(2025, 5, 1), D(2025, 5, 5)),  # 劳动节
    _span(D(2025, 5, 31), D(2025, 6, 2)),  # 端午节
    _span(D(2025, 10, 1), D(2025, 10, 8)),  # 国庆节、中秋节
    # 2026
    _span(D(2026, 1, 1), D(2026, 1, 3)),  # 元旦
    _span(D(2026, 2, 15), D(2026, 2, 23)),  # 春节
    _span(D(2026, 4, 4), D(2026, 4, 6)),  # 清明节
    _span(D(2026, 5, 1), D(2026, 5, 5)),  # 劳动节
    _span(D(2026, 6, 19), D(2026, 6, 21)),  # 端午节
    _span(D(2026, 9, 25), D(2026, 9, 27)),  # 中秋节
    _span(D(2026, 10, 1), D(2026, 10, 7)),  # 国庆节
)
WORKED_WEEKENDS: frozenset[dt.date] = frozenset(
    {
        # 2025
        D(2025, 1, 26),
        D(2025, 2, 8),
        D(2025, 4, 27),
        D(2025, 9, 28),
        D(2025, 10, 11),
        # 2026
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
)


def is_working_day(day: dt.date) -> bool:
    if day in WORKED_WEEKENDS:
        return True
    return day.weekday() < 5 and day not in HOLIDAYS


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day`."""
    d = day
    while n > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d
