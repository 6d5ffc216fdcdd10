"""Step 2 — instalments falling due today become due; suspense is applied to what is due.

For each open loan of the chunk with an unpaid row in force due on D: the row's status becomes
`due` (it turns `overdue` in tomorrow's delinquency step if still unpaid), as the per-loan
reference `loan_accrue` leaves it. A loan holding suspense (溢缴款) with anything due by D has it
applied through the loans engineer's `suspense_apply` (per loan: few loans hold suspense),
before the auto-debit file is written, so nobody is debited for what they already paid.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, UNPAID, lock_loans, open_rows_sql, rows, run
from servicing.services.repayments.suspense import suspense_apply

# the loans with a row in force, not paid, due today: found through the open-row indexes
OPEN_ROW_DUE_TODAY = f"l.id IN ({open_rows_sql('r.due_date = %(d)s', unpaid=False)})"
ROWS_TO_MARK = open_rows_sql("r.due_date = %(d)s AND r.status <> 'due'", "r.id, r.loan_id")


@register(code="due", label=_("期供到期"), position=20)
def due_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    ids = lock_loans(lo, hi, OPEN_ROW_DUE_TODAY, {"d": d})
    changed = 0
    if ids:
        # the rows by the same indexes (the loan id, the partition key, finds each row's one
        # partition); of the locked loans only
        changed = run(
            f"""
            UPDATE servicing_loanschedulerow r SET status = 'due'
              FROM ({ROWS_TO_MARK}) x
             WHERE r.id = x.id AND r.loan_id = x.loan_id AND r.loan_id = ANY(%(ids)s)
            """,  # noqa: S608 - SQL built from constants; values are bound
            {"ids": ids, "d": d, "lo": lo, "hi": hi},
        )
    suspense = [
        r[0]
        for r in rows(
            f"""
            SELECT l.id FROM servicing_loan l
             WHERE l.id BETWEEN %s AND %s AND l.suspense_balance > 0
               AND l.status NOT IN {CLOSED_SQL}
               AND EXISTS (SELECT 1 FROM servicing_loanschedulerow r
                            WHERE r.loan_id = l.id AND r.superseded_by_version IS NULL
                              AND r.status <> 'paid' AND r.due_date <= %s AND {UNPAID} > 0)
             ORDER BY l.id
            """,  # noqa: S608 - SQL built from constants; values are bound
            [lo, hi, d],
        )
    ]
    applied = 0
    if suspense:
        for loan_id in suspense:
            if suspense_apply(loan_id=loan_id, actor=ctx.actor) is not None:
                applied += 1
    return {"loans": len(ids), "rows_due": changed, "suspense_applied": applied}
