"""The anti-money-laundering rules for money received, in one place (plain Python).

Large-value transactions (大额交易) follow 《金融机构大额交易和可疑交易报告管理办法》 (PBoC 令〔2016〕
第3号, in force 2017-07-01, as amended by 令〔2018〕第2号), article 5: a single transaction or the
same customer's same-day cumulative total at or above

| from | cash (现金) | natural person, domestic transfer | natural person, cross-border | non-natural person transfer |
| --- | --- | --- | --- | --- |
| 2017-07-01 | ¥50,000 | ¥500,000 | ¥200,000 | ¥2,000,000 |

is reported within 5 working days of the transaction (article 6). A later amendment is a new
row in ``LARGE_VALUE_TABLE``; a transaction is judged by the row in force on its date.

Working days are the statutory calendar's (autofin.working_days: holidays and 调休 weekends).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LargeValueThresholds:
    effective_from: dt.date
    cash: Decimal
    person_transfer: Decimal
    person_cross_border: Decimal
    entity_transfer: Decimal


LARGE_VALUE_TABLE: tuple[LargeValueThresholds, ...] = (
    LargeValueThresholds(
        effective_from=dt.date(2017, 7, 1),
        cash=Decimal("50000"),
        person_transfer=Decimal("500000"),
        person_cross_border=Decimal("200000"),
        entity_transfer=Decimal("2000000"),
    ),
)
REPORT_WORKING_DAYS = 5
# Structuring is looked for over this many calendar days ending on the business date.
STRUCTURING_WINDOW_DAYS = 7
# Many small manual (cash-like) repayments: counted over this many days.
SMALL_REPAYMENTS_WINDOW_DAYS = 30


def thresholds_on(day: dt.date) -> LargeValueThresholds:
    rows = [r for r in LARGE_VALUE_TABLE if r.effective_from <= day]
    if not rows:
        raise ValueError(f"no large-value thresholds in force on {day}")
    return max(rows, key=lambda r: r.effective_from)


def large_value_threshold(
    t: LargeValueThresholds, *, channel: str, natural_person: bool = True
) -> tuple[str, Decimal]:
    """The alert kind and threshold that apply to money of this channel."""
    if channel == "cash":
        return "large_cash", t.cash
    if not natural_person:
        return "large_entity_transfer", t.entity_transfer
    if channel == "cross_border":
        return "large_cross_border", t.person_cross_border
    return "large_transfer", t.person_transfer


def structuring_found(
    daily_totals: dict[dt.date, Decimal], *, threshold: Decimal, margin: Decimal
) -> dict | None:
    """Structuring over a window of one customer's daily totals of one channel: no day reached
    the threshold, yet either two or more days came within `margin` just under it, or the
    days together reached it. Returns the evidence, or None."""
    if not daily_totals or any(v >= threshold for v in daily_totals.values()):
        return None
    floor = threshold * (Decimal("1") - margin)
    near = sorted(d for d, v in daily_totals.items() if v >= floor)
    total = sum(daily_totals.values(), Decimal("0"))
    if len(near) >= 2:
        return {"rule": "just_under", "days": [str(d) for d in near], "floor": str(floor)}
    if len(daily_totals) >= 2 and total >= threshold:
        return {"rule": "window_total", "days": [str(d) for d in sorted(daily_totals)]}
    return None
