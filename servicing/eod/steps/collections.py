"""Step 6 — collections: open, re-queue and close cases; check promises to pay; assign.

Per chunk, set-based:
* a loan with dpd > 0 and no open case gets one, in the queue of its bucket — M1: reminders and
  soft calls; M2–M3: collector calls; M4+: field visits and legal;
* an open case follows its loan: dpd, bucket, amount overdue, score; a case whose queue changes
  is re-queued (unassigned, `requeued_on` = D) for the new queue's collectors;
* a case whose loan is current again, or closed (paid off, settled, charged off), is closed;
* promises to pay due by D are checked: kept when the loan received at least the promised amount
  from the day the promise was made to D+1, else broken — a broken promise re-queues the case
  (unassigned, to the top of the queue) and opens a `ptp_broken` task.
Finalize: unassigned open cases go to the collectors with the lightest workload.
The score (likelihood to pay) = logistic(1.0 - 0.04 dpd + 1.5 kept share + 1.0 repaid share).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing import loan_rules
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, REPAID_SQL, UNPAID, one, open_rows_sql, run, temp_table
from servicing.services.collections import cases_assign

# each loan's rows due by D and not paid, through the open-row indexes (not every row of each
# loan by the loan index)
DUE_ROWS = open_rows_sql(
    "r.due_date <= %(d)s", f"r.loan_id, {UNPAID} AS amount", unpaid=False, bound=True
)
STATE = f"""
SELECT l.id AS loan_id, d.dpd, d.bucket, coalesce(o.amount, 0) AS overdue,
       coalesce(k.kept, 0) AS kept, coalesce(k.broken, 0) AS broken,
       1 - l.principal_outstanding / l.amount_financed AS paid_share
  FROM servicing_loandelinquency d
  JOIN servicing_loan l ON l.id = d.loan_id
  LEFT JOIN (SELECT x.loan_id, sum(x.amount) AS amount FROM ({DUE_ROWS}) x GROUP BY x.loan_id
            ) o ON o.loan_id = l.id
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE p.status = 'kept') AS kept,
               count(*) FILTER (WHERE p.status = 'broken') AS broken
          FROM servicing_promisetopay p JOIN servicing_collectioncase c ON c.id = p.case_id
         WHERE c.loan_id = l.id) k ON TRUE
 -- the chunk's delinquent loans from the delinquency rows of its range (its few), not from
 -- its every loan
 WHERE d.loan_id BETWEEN %(lo)s AND %(hi)s AND d.dpd > 0
   AND l.status NOT IN {CLOSED_SQL}
"""  # noqa: S608 - SQL built from constants; values are bound

# the likelihood-to-pay score, a logistic: intercept, per DPD day, per kept-promise share, per
# repaid-principal share (the queue order of servicing.services.collections.cases_assign)
_B0, _B1, _B2, _B3 = (1.0, -0.04, 1.5, 1.0)
SCORE = f"""round((1 / (1 + exp(-(({_B0}) + ({_B1}) * s.dpd
    + ({_B2}) * CASE WHEN s.kept + s.broken = 0 THEN 0.5
                     ELSE s.kept::numeric / (s.kept + s.broken) END
    + ({_B3}) * s.paid_share))))::numeric, 4)"""


def collections_finalize(ctx: StepContext) -> dict:

    return {"assigned": cases_assign(business_date=ctx.business_date)}


@register(
    code="collections",
    label=_("催收分案与承诺还款核查"),
    position=60,
    finalize=collections_finalize,
)
def collections_chunk(ctx: StepContext, lo: int, hi: int) -> dict:

    d, nxt = ctx.business_date, ctx.next_date
    params = {"d": d, "next": nxt, "lo": lo, "hi": hi}
    # promises due by D: kept or broken
    temp_table(
        "eod_ptp",
        """
        SELECT p.id, p.case_id, p.amount, c.loan_id,
               coalesce((SELECT sum(x.amount) FROM servicing_repayment x
                          WHERE x.loan_id = c.loan_id AND x.status = 'posted'
                            AND x.source <> 'suspense'
                            AND x.received_on BETWEEN p.made_on AND %(next)s), 0) AS paid
          FROM servicing_promisetopay p JOIN servicing_collectioncase c ON c.id = p.case_id
         WHERE p.status = 'pending' AND p.promised_date <= %(d)s
           AND c.loan_id BETWEEN %(lo)s AND %(hi)s
        """,
        params,
    )
    run(
        """
        UPDATE servicing_promisetopay p
           SET status = CASE WHEN e.paid >= e.amount THEN 'kept' ELSE 'broken' END,
               paid_amount = e.paid, checked_on = %(d)s
          FROM eod_ptp e WHERE p.id = e.id
        """,
        params,
    )
    broken = run(
        """
        INSERT INTO servicing_loantask
            (loan_id, kind, ref_date, business_date, status, detail, created_at)
        SELECT DISTINCT ON (e.loan_id) e.loan_id, 'ptp_broken', %(d)s, %(d)s, 'open',
               jsonb_build_object('promise', e.id, 'amount', e.amount::text, 'paid', e.paid::text),
               now()
          FROM eod_ptp e WHERE e.paid < e.amount
        ON CONFLICT (loan_id, kind, ref_date) DO NOTHING
        """,
        params,
    )
    requeued_ptp = run(
        """
        UPDATE servicing_collectioncase c
           SET assigned_to_id = NULL, requeued_on = %(d)s, updated_at = now()
         WHERE c.status = 'open' AND c.id IN (SELECT case_id FROM eod_ptp WHERE paid < amount)
        """,
        params,
    )
    temp_table("eod_cases", STATE, params)
    score = SCORE
    queue = loan_rules.queue_sql("s.bucket")
    opened = run(
        f"""
        INSERT INTO servicing_collectioncase
            (loan_id, status, queue, bucket, dpd, amount_overdue, score, assigned_to_id,
             opened_on, closed_on, close_reason, requeued_on, updated_at)
        SELECT s.loan_id, 'open', {queue}, s.bucket, s.dpd, s.overdue, {score}, NULL,
               %(d)s, NULL, '', NULL, now()
          FROM eod_cases s
         WHERE NOT EXISTS (SELECT 1 FROM servicing_collectioncase c
                            WHERE c.loan_id = s.loan_id AND c.status = 'open')
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    requeued = run(
        f"""
        UPDATE servicing_collectioncase c
           SET assigned_to_id = CASE WHEN c.queue <> {queue} THEN NULL ELSE c.assigned_to_id END,
               requeued_on = CASE WHEN c.queue <> {queue} THEN %(d)s ELSE c.requeued_on END,
               queue = {queue}, bucket = s.bucket, dpd = s.dpd, amount_overdue = s.overdue,
               score = {score}, updated_at = now()
          FROM eod_cases s
         WHERE c.loan_id = s.loan_id AND c.status = 'open' AND c.opened_on < %(d)s
           AND c.queue <> {queue}
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    run(
        f"""
        UPDATE servicing_collectioncase c
           SET bucket = s.bucket, dpd = s.dpd, amount_overdue = s.overdue, score = {score},
               updated_at = now()
          FROM eod_cases s
         WHERE c.loan_id = s.loan_id AND c.status = 'open'
           AND (c.dpd, c.amount_overdue) IS DISTINCT FROM (s.dpd, s.overdue)
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    closed = run(
        f"""
        UPDATE servicing_collectioncase c
           SET status = 'closed', closed_on = %(d)s, updated_at = now(),
               close_reason = CASE WHEN l.status = 'charged_off' THEN 'charged_off'
                                   WHEN l.status IN {REPAID_SQL} THEN 'settled'
                                   ELSE 'cured' END
          FROM servicing_loan l
         WHERE c.loan_id = l.id AND c.status = 'open'
           -- the open cases of the range (not the book's), against the chunk's cases hashed
           AND c.loan_id BETWEEN %(lo)s AND %(hi)s
           AND c.loan_id NOT IN (SELECT s.loan_id FROM eod_cases s)
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    open_cases = one(
        "SELECT count(*) FROM servicing_collectioncase WHERE status = 'open'"
        " AND loan_id BETWEEN %(lo)s AND %(hi)s",
        params,
    )[0]
    return {
        "opened": opened,
        "requeued": requeued + requeued_ptp,
        "closed": closed,
        "ptp_checked": one("SELECT count(*) FROM eod_ptp")[0],
        "ptp_broken": broken,
        "open_cases": open_cases,
    }
