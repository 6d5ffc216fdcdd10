"""Read queries for the portfolio curves page: vintage curves and roll-rate matrices from the
nightly batch's loan snapshots (servicing.eod.steps.snapshot)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections

from autofin.replica import read_alias
from servicing.models.collections import BUCKETS, LoanSnapshot


def vintage_curves(*, threshold_dpd: int = 30) -> dict:
    """{vintage month: {mob: share of the vintage's loans at `threshold_dpd`+ DPD}} from the
    latest snapshot of each month on book (a vintage curve, by count)."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            """
            WITH last AS (
                SELECT vintage, mob, max(business_date) AS d
                  FROM servicing_loansnapshot GROUP BY vintage, mob)
            SELECT s.vintage, s.mob, count(*), count(*) FILTER (WHERE s.dpd >= %s)
              FROM servicing_loansnapshot s
              JOIN last ON last.vintage = s.vintage AND last.mob = s.mob AND last.d = s.business_date
             GROUP BY s.vintage, s.mob ORDER BY s.vintage, s.mob
            """,
            [threshold_dpd],
        )
        curves: dict[dt.date, dict[int, Decimal]] = {}
        for vintage, mob, n, bad in cursor.fetchall():
            curves.setdefault(vintage, {})[mob] = (Decimal(bad) / n).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
    mobs = sorted({m for c in curves.values() for m in c})
    return {"mobs": mobs, "curves": curves}


def roll_rates(*, start: dt.date, end: dt.date) -> dict:
    """Bucket-to-bucket shares of loans between two snapshot dates (a roll-rate matrix)."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            """
            SELECT a.bucket, coalesce(b.bucket, 'closed'), count(*)
              FROM servicing_loansnapshot a
              LEFT JOIN servicing_loansnapshot b
                     ON b.loan_id = a.loan_id AND b.business_date = %s
             WHERE a.business_date = %s
             GROUP BY 1, 2
            """,
            [end, start],
        )
        counts: dict[str, dict[str, int]] = {}
        for frm, to, n in cursor.fetchall():
            counts.setdefault(frm, {})[to] = n
    columns = [*BUCKETS, "closed"]
    matrix = {}
    for frm in BUCKETS:
        row = counts.get(frm, {})
        total = sum(row.values())
        matrix[frm] = {
            to: (Decimal(row.get(to, 0)) / total).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
            if total
            else None
            for to in columns
        }
    return {"start": start, "end": end, "columns": columns, "matrix": matrix}


def snapshot_dates() -> list[dt.date]:
    return list(
        LoanSnapshot.objects.using(read_alias())
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .distinct()[:400]
    )


# the LTV bands of the by-vintage table: (upper bound inclusive, label); the last is open-ended
LTV_BANDS = (
    (Decimal("0.60"), "≤60%"),
    (Decimal("0.80"), "60–80%"),
    (Decimal("1.00"), "80–100%"),
    (Decimal("1.20"), "100–120%"),
    (None, ">120%"),
)


def ltv_by_vintage(*, month: dt.date | None = None) -> dict:
    """The current-LTV distribution by vintage from the monthly revaluation's snapshots
    (servicing.models.collateral_checks.LoanValuation) of `month` (default: the latest):
    {"month", "bands": [labels], "rows": [{"vintage", "counts": [per band], "loans",
    "mean_ltv"}]}; reproducible for any month valued."""
    with connections[read_alias()].cursor() as cursor:
        if month is None:
            cursor.execute("SELECT max(month) FROM servicing_loanvaluation")
            month = cursor.fetchone()[0]
        if month is None:
            return {"month": None, "bands": [b[1] for b in LTV_BANDS], "rows": []}
        filters, lower = [], None
        for upper, _label in LTV_BANDS:
            conds = ([f"ltv > {lower}"] if lower is not None else []) + (
                [f"ltv <= {upper}"] if upper is not None else []
            )
            filters.append(f"count(*) FILTER (WHERE {' AND '.join(conds)})")
            lower = upper
        cursor.execute(
            f"""
            SELECT vintage, {", ".join(filters)}, count(*), avg(ltv)
              FROM servicing_loanvaluation WHERE month = %s
             GROUP BY vintage ORDER BY vintage
            """,  # noqa: S608 - bands are the constants above
            [month],
        )
        rows = [
            {
                "vintage": r[0],
                "counts": list(r[1:-2]),
                "loans": r[-2],
                "mean_ltv": Decimal(r[-1]).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            }
            for r in cursor.fetchall()
        ]
    return {"month": month, "bands": [b[1] for b in LTV_BANDS], "rows": rows}
