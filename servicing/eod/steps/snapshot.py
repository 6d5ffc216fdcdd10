"""Step 11 — the daily snapshot per loan (balance, DPD, bucket, classification) for reporting.

One row per loan open at the close of D (and per loan closed that night), inserted per chunk in
one statement; unique per (date, loan), so a re-run adds nothing. Vintage curves (30+ DPD share
by vintage and months on book) and roll rates (bucket to bucket between two dates) are read from
these rows (servicing.selectors.curves).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, REPAID_SQL, run


@register(code="snapshot", label=_("贷款日快照"), position=110)
def snapshot_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    n = run(
        f"""
        INSERT INTO servicing_loansnapshot
            (business_date, loan_id, status, principal_outstanding, dpd, bucket, classification,
             dealer_id, vintage, mob)
        SELECT %(d)s, l.id, l.status, l.principal_outstanding,
               CASE WHEN l.status IN {REPAID_SQL} THEN 0 ELSE coalesce(x.dpd, 0) END,
               CASE WHEN l.status IN {REPAID_SQL} THEN 'M0'
                    ELSE coalesce(x.bucket, 'M0') END,
               CASE WHEN l.status IN {REPAID_SQL} THEN 'normal'
                    ELSE coalesce(x.classification, 'normal') END,
               l.dealer_id, date_trunc('month', l.value_date)::date,
               greatest(0, (extract(year FROM age(%(d)s::date, l.value_date)) * 12
                            + extract(month FROM age(%(d)s::date, l.value_date)))::int)
          FROM servicing_loan l
          -- bounded to the chunk: otherwise every chunk reads the whole book's delinquency rows
          LEFT JOIN servicing_loandelinquency x
                 ON x.loan_id = l.id AND x.loan_id BETWEEN %(lo)s AND %(hi)s
         WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.value_date <= %(d)s
           AND (l.status NOT IN {CLOSED_SQL}
                OR l.closed_on >= %(d)s)
        ON CONFLICT (business_date, loan_id) DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"d": ctx.business_date, "lo": lo, "hi": hi},
    )
    return {"snapshots": n}
