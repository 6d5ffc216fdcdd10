"""The allocation waterfall (pure: no database): which rows are overdue or current, the order of
the buckets a product configures, and `allocate`, which splits an amount over them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from autofin.money import ZERO
from servicing.models.loans import LoanScheduleRow
from servicing.services.repayments.guards import RepaymentError

DEFAULT_WATERFALL = (
    "penalty",
    "fee",
    "overdue_interest",
    "overdue_principal",
    "current_fee",
    "current_interest",
    "current_principal",
)
BY_INSTALMENT = "by_instalment"


# --- the waterfall -------------------------------------------------------------------------


def waterfall_order(rules: dict | None) -> tuple[str, ...] | str:
    order = (rules or {}).get("waterfall")
    if order == BY_INSTALMENT:
        return BY_INSTALMENT
    if not order:
        return DEFAULT_WATERFALL
    valid = set(DEFAULT_WATERFALL) | {"interest", "principal", "current_penalty"}
    unknown = [b for b in order if b not in valid]
    if unknown:
        raise RepaymentError(_("产品还款顺序配置有误：%(b)s") % {"b": ", ".join(unknown)})
    return tuple(order)


def _unpaid(row: LoanScheduleRow, component: str) -> Decimal:
    return getattr(row, component) - getattr(row, f"{component}_paid")


def eligible_rows(
    rows: list[LoanScheduleRow], business_date: dt.date
) -> tuple[list[LoanScheduleRow], LoanScheduleRow | None]:
    """(overdue rows oldest first, the current row or None) among the rows in force."""
    overdue = [
        r
        for r in rows
        if r.due_date < business_date and r.superseded_by_version is None and r.amount_unpaid > 0
    ]
    current = next(
        (
            r
            for r in rows
            if r.superseded_by_version is None
            and r.accrual_start < business_date <= r.due_date
            and r.amount_unpaid > 0
        ),
        None,
    )
    return overdue, current


def allocate(
    *,
    amount: Decimal,
    rows: list[LoanScheduleRow],
    business_date: dt.date,
    order: tuple[str, ...] | str = DEFAULT_WATERFALL,
    current: LoanScheduleRow | None = None,
) -> tuple[list[tuple[LoanScheduleRow, str, Decimal]], Decimal]:
    """Split `amount` over the rows by the waterfall; returns (allocations, leftover).

    Pure: the rows are not changed. Rows must be sorted by instalment number. `current`
    overrides the current row (an early settlement's settlement row).
    """
    overdue, found = eligible_rows(rows, business_date)
    current = current or found
    every = overdue + ([current] if current else [])
    taken: dict[tuple[int, str], Decimal] = {}
    result: list[tuple[LoanScheduleRow, str, Decimal]] = []
    remaining = amount

    def take(row: LoanScheduleRow, component: str) -> None:
        nonlocal remaining
        if remaining <= 0:
            return
        key = (id(row), component)
        open_amount = _unpaid(row, component) - taken.get(key, ZERO)
        part = min(open_amount, remaining)
        if part > 0:
            taken[key] = taken.get(key, ZERO) + part
            result.append((row, component, part))
            remaining -= part

    if order == BY_INSTALMENT:
        for row in every:
            for component in ("penalty", "fee", "interest", "principal"):
                take(row, component)
    else:
        for bucket in order:
            if bucket in ("penalty", "fee"):
                targets, component = overdue, bucket
            elif bucket in ("interest", "principal"):
                targets, component = every, bucket
            elif bucket.startswith("overdue_"):
                targets, component = overdue, bucket.removeprefix("overdue_")
            else:
                targets, component = ([current] if current else []), bucket.removeprefix("current_")
            for row in targets:
                take(row, component)
    return result, remaining
