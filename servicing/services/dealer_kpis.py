"""A dealer's monthly KPIs from the book itself, so the KPI page and the commission statement
tell the same story: funded count and amount are the loans valued that month (each funded loan
accrues one commission, the statement's accrual line), applications and approvals are those
submitted that month, decision time is submission to decision of the month's decided ones.

The nightly batch (dealer_metrics step) records the month of the business date; the demo seed
records each month of its book the same way.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from autofin.money import FEN
from dealers.services.commissions import add_months, dealer_kpis_record, month_start
from servicing.eod.sql import rows

RATE = Decimal("0.0001")
HOURS = Decimal("0.1")
APPROVED = ["approved", "contract_signed", "funded", "counter_offered"]


def dealer_month_figures(*, month: dt.date) -> dict[int, dict]:
    """{dealer_id: figures} for every dealer with an application or a loan in `month`."""
    first = month_start(month)
    nxt = add_months(first, 1)
    figures: dict[int, dict] = {}
    for dealer_id, apps, approved, decided, hours in rows(
        """
        SELECT dealer_id, count(*) FILTER (WHERE submitted_at::date >= %(a)s),
               count(*) FILTER (WHERE submitted_at::date >= %(a)s AND status = ANY(%(ok)s)),
               count(*) FILTER (WHERE decided_at::date >= %(a)s AND decided_at::date < %(b)s),
               avg(extract(epoch FROM decided_at - submitted_at) / 3600)
                   FILTER (WHERE decided_at::date >= %(a)s AND decided_at::date < %(b)s)
          FROM origination_application
         WHERE dealer_id IS NOT NULL AND submitted_at IS NOT NULL AND submitted_at::date < %(b)s
           AND (submitted_at::date >= %(a)s
                OR (decided_at::date >= %(a)s AND decided_at::date < %(b)s))
         GROUP BY dealer_id
        """,
        {"a": first, "b": nxt, "ok": APPROVED},
    ):
        entry = figures.setdefault(dealer_id, {"funded_count": 0, "funded_amount": Decimal(0)})
        entry["applications"] = apps
        entry["approved"] = approved
        if apps:
            entry["approval_rate"] = (Decimal(approved) / apps).quantize(
                RATE, rounding=ROUND_HALF_UP
            )
        if decided and hours is not None:
            entry["avg_decision_hours"] = Decimal(hours).quantize(HOURS, rounding=ROUND_HALF_UP)
    for dealer_id, count, amount in rows(
        """
        SELECT dealer_id, count(*), sum(amount_financed) FROM servicing_loan
         WHERE dealer_id IS NOT NULL AND value_date >= %(a)s AND value_date < %(b)s
         GROUP BY dealer_id
        """,
        {"a": first, "b": nxt},
    ):
        entry = figures.setdefault(dealer_id, {"applications": 0})
        entry["funded_count"] = count
        entry["funded_amount"] = Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)
    return figures


def dealer_month_kpis_record(*, month: dt.date, dealer_ids: set[int] | None = None) -> int:
    """Record the month's figures for every dealer with activity in it (or for those of
    `dealer_ids` with some); returns how many."""
    figures = dealer_month_figures(month=month)
    for dealer_id, entry in figures.items():
        if dealer_ids is not None and dealer_id not in dealer_ids:
            continue
        dealer_kpis_record(dealer_id=dealer_id, month=month, figures=entry)
    return len(figures) if dealer_ids is None else len(dealer_ids & figures.keys())
