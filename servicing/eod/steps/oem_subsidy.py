"""Step 12 — OEM subsidy recognition (贴息收入确认), right after interest accrual.

Set-based over the chunk's open subsidised loans: each period (start, end] of an active subsidy
has earned, through business date D, its amount x (D - start) / (end - start), rounded half up
to the fen on the running total (PostgreSQL's round() of a positive numeric), and its whole
amount from its end date on, so the periods add up to the subsidy to the fen. What the period
earned since the last run is posted in one ledger entry for the chunk (Dr oem_subsidy_deferred /
Cr oem_subsidy_income, each line carrying its loan id). A re-run of the day finds nothing more
to recognise and posts nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import lock_loans, one, post_lines, run, temp_table
from servicing.memos import memo

DUE = """
SELECT p.id, p.loan_id,
       CASE WHEN %(d)s::date >= p."end" THEN p.amount
            ELSE round(p.amount * (%(d)s::date - p.start) / (p."end" - p.start), 2) END
         - p.recognised AS delta
  FROM servicing_oemsubsidyperiod p
  JOIN servicing_oemsubsidy s ON s.id = p.subsidy_id AND s.status = 'active'
 WHERE p.loan_id = ANY(%(ids)s) AND NOT p.cancelled
   AND p.start < %(d)s::date AND p.recognised < p.amount
"""

LINES = """
SELECT 'oem_subsidy_deferred' AS code, 'D' AS side, sum(delta) AS amount, loan_id
  FROM eod_oem_due WHERE delta > 0 GROUP BY loan_id
UNION ALL
SELECT 'oem_subsidy_income', 'C', sum(delta), loan_id
  FROM eod_oem_due WHERE delta > 0 GROUP BY loan_id
"""


@register(code="oem_subsidy", label=_("厂商贴息收入确认"), position=12)
def oem_subsidy_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    ids = lock_loans(
        lo, hi,
        "EXISTS (SELECT 1 FROM servicing_oemsubsidy s WHERE s.loan_id = l.id AND s.status = 'active')",
    )  # fmt: skip
    if not ids:
        return {"loans": 0}
    temp_table("eod_oem_due", DUE, {"d": d, "ids": ids})
    run(
        "UPDATE servicing_oemsubsidyperiod p SET recognised = p.recognised + x.delta"
        "  FROM eod_oem_due x WHERE x.id = p.id AND x.delta > 0"
    )
    post_lines(
        ctx=ctx,
        step="oem_subsidy",
        lines_sql=LINES,
        params={},
        source_type="subsidy",
        description=memo("oem_subsidy_recognise", date=d),
        lo=lo,
        hi=hi,
    )
    totals = one(
        "SELECT count(DISTINCT loan_id), coalesce(sum(delta), 0) FROM eod_oem_due WHERE delta > 0"
    )
    return {"loans": totals[0], "recognised": str(totals[1])}
