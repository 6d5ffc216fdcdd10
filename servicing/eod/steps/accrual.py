"""Step 1 — interest accrual (计提) and fees falling due, per loan by its day count.

Set-based twin of `servicing.services.accrual.loan_accrue`'s interest part, to the fen and to
the 10th place of the remainder. For each open loan of the chunk with `accrued_through` < D:

* the current row is the first row in force whose due date is after `accrued_through`;
* days = 30E/360 or actual days (ACT/365F) from `accrued_through` to D;
  exact = opening balance x rate x days / year + remainder; post = exact rounded DOWN to the fen;
* on the row's due date the period is trued up: interest posted = the row's interest less what
  was posted for the period, the remainder cleared, and the row's fee falls due;
* the loan's accrued_through, accrual_period_posted, accrual_remainder move to D.

Postings: one ledger entry for the chunk (interest receivable Dr / interest income Cr, fee
receivable Dr / fee income Cr, each line carrying its loan id). A loan past 90 DPD (non-accrual,
set by the delinquency step) accrues to the off-balance memo pair instead (off-balance interest
Dr / contra Cr): income recognition stops. Such a loan is in stage 3 (credit-impaired), and CAS 22
recognises its interest on the net carrying amount instead: principal less the allowance of the
latest posted provision run, × schedule rate × days / 365 (`loan_rules.stage3_interest_sql`),
released from the allowance (loan-loss allowance Dr / interest income Cr, on the loan's lines),
capped at what is left of the loan's allowance since that run. A stage-3 loan without a posted
allowance recognises nothing on balance (its interest stays off-balance until provided for).
A lease (直租, 售后回租) also releases its unearned finance income to the interest not yet
accrued (Dr unearned finance income / Cr lease payments unearned, `servicing.services.leases.accounting`).

Fallback: a loan more than one schedule period behind (an accrual that crosses a due date before
D, e.g. a loan funded back-dated) goes through the per-loan reference `loan_accrue` — rare, and
counted in the result as `fallback`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from autofin.pricing.dates import period_days_sql
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import locked_loans_sql, one, post_lines, rows, run, temp_table
from servicing.loan_rules import stage3_interest_sql
from servicing.memos import memo
from servicing.services.accrual import loan_accrue
from servicing.services.leases.accounting import release_lines_sql

# the day count is autofin.pricing's, generated (period_days_sql), not written again here
DAYS, YEAR_DAYS = period_days_sql(start="e.a", end="%(d)s::date", day_count="e.day_count")

# One statement locks the chunk's loans (id order), finds each one's current row and computes
# what it accrues: the loans are read once and no id list travels to Python and back.
# exact = ob x rate x days / year + remainder, kept at 20 places (Python's Decimal keeps 28
# significant digits; both round the same way at the 10th place, see the module doc of eod).
# A loan more than one period behind (`behind`) is left to the per-loan reference.
ACCRUAL = f"""
WITH l AS MATERIALIZED ({
    locked_loans_sql(
        "l.accrued_through < %(d)s",
        columns="l.id, l.accrued_through, l.accrual_period_posted, l.accrual_remainder,"
        " l.day_count, l.schedule_rate",
    )
}),
e AS (
    SELECT l.id AS loan_id, l.accrued_through AS a, l.accrual_period_posted AS p,
           l.accrual_remainder AS r, l.day_count, l.schedule_rate AS rate,
           cur.due_date, cur.opening_balance AS ob, cur.interest AS row_interest,
           cur.fee AS row_fee, coalesce(d.non_accrual, false) AS non_accrual
      FROM l
      LEFT JOIN LATERAL (
            SELECT s.due_date, s.opening_balance, s.interest, s.fee
              FROM servicing_loanschedulerow s
             WHERE s.loan_id = l.id AND s.superseded_by_version IS NULL
               AND s.due_date > l.accrued_through
             ORDER BY s.due_date, s.instalment_no
             LIMIT 1) cur ON TRUE
      -- bounded to the chunk: otherwise every chunk reads the whole book's delinquency rows
      LEFT JOIN servicing_loandelinquency d
             ON d.loan_id = l.id AND d.loan_id BETWEEN %(lo)s AND %(hi)s
),
x AS (SELECT e.*, {DAYS} AS days, {YEAR_DAYS} AS year_days FROM e),
c AS (
    SELECT x.*,
           CASE WHEN x.due_date IS NULL THEN 0::numeric
                ELSE (x.ob * x.rate * x.days)::numeric(48, 20) / x.year_days + x.r END AS exact
      FROM x
),
a AS (SELECT c.*, trunc(c.exact, 2) AS post FROM c)
SELECT a.loan_id, a.non_accrual, a.a, a.rate, coalesce(a.due_date < %(d)s, false) AS behind,
       CASE WHEN a.due_date IS NULL THEN 0
            WHEN a.due_date = %(d)s::date THEN a.row_interest - a.p
            ELSE a.post END AS interest,
       CASE WHEN a.due_date = %(d)s::date THEN a.row_fee ELSE 0 END AS fee,
       CASE WHEN a.due_date IS NULL THEN a.p
            WHEN a.due_date = %(d)s::date THEN 0
            ELSE a.p + a.post END AS new_p,
       CASE WHEN a.due_date IS NULL THEN a.r
            WHEN a.due_date = %(d)s::date THEN 0
            ELSE round(a.exact - a.post, 10) END AS new_r
  FROM a
"""  # noqa: S608 - SQL built from constants; values are bound

LINES = f"""
SELECT CASE WHEN non_accrual THEN 'off_balance_interest' ELSE 'interest_receivable' END AS code,
       CASE WHEN interest > 0 THEN 'D' ELSE 'C' END AS side, abs(interest) AS amount, loan_id
  FROM eod_accrual WHERE interest <> 0 AND NOT behind
UNION ALL
SELECT CASE WHEN non_accrual THEN 'off_balance_interest_contra' ELSE 'interest_income' END,
       CASE WHEN interest > 0 THEN 'C' ELSE 'D' END, abs(interest), loan_id
  FROM eod_accrual WHERE interest <> 0 AND NOT behind
UNION ALL
SELECT 'fee_receivable', 'D', fee, loan_id FROM eod_accrual WHERE fee > 0 AND NOT behind
UNION ALL
SELECT 'fee_income', 'C', fee, loan_id FROM eod_accrual WHERE fee > 0 AND NOT behind
UNION ALL
SELECT 'loan_loss_allowance', 'D', amount, loan_id FROM eod_stage3 WHERE amount > 0
UNION ALL
SELECT 'interest_income', 'C', amount, loan_id FROM eod_stage3 WHERE amount > 0
UNION ALL
{release_lines_sql("l.id IN (SELECT loan_id FROM eod_accrual WHERE NOT behind)")}
"""  # noqa: S608 - SQL built from constants; values are bound

# the allowance a stage-3 loan holds (its ECL in the latest posted run) and what the nightly
# accrual released of it since that run: the release never exceeds the allowance
NET_INTEREST = f"""
SELECT x.loan_id,
       least(p.ecl - coalesce(u.released, 0),
             {
    stage3_interest_sql(
        principal="l.principal_outstanding",
        allowance="p.ecl",
        rate="x.rate",
        days="(%(d)s::date - x.a)",
    )
}) AS amount
  FROM eod_accrual x
  JOIN servicing_loan l ON l.id = x.loan_id
  JOIN LATERAL (
        SELECT lp.ecl, r.as_of
          FROM servicing_loanprovision lp
          JOIN servicing_provisionrun r ON r.id = lp.run_id
         WHERE lp.loan_id = x.loan_id AND r.status = 'posted'
         ORDER BY r.month DESC LIMIT 1) p ON TRUE
  LEFT JOIN LATERAL (
        SELECT sum(jl.amount) AS released
          FROM servicing_journalline jl
          JOIN servicing_journalentry je ON je.id = jl.entry_id
          JOIN servicing_ledgeraccount la ON la.id = jl.account_id
         WHERE jl.loan_id = x.loan_id AND la.code = 'loan_loss_allowance' AND jl.side = 'D'
           AND je.source_type = 'accrual' AND je.business_date > p.as_of) u ON TRUE
 WHERE x.non_accrual AND NOT x.behind
"""  # noqa: S608 - SQL built from constants; values are bound


@register(code="accrual", label=_("利息与费用计提"), position=10)
def accrual_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    params = {"lo": lo, "hi": hi, "d": d}
    if not temp_table("eod_accrual", ACCRUAL, params):
        return {"loans": 0}
    behind = [r[0] for r in rows("SELECT loan_id FROM eod_accrual WHERE behind ORDER BY loan_id")]
    temp_table("eod_stage3", NET_INTEREST, params)
    run(
        """
        UPDATE servicing_loan l
           SET accrued_through = %s, accrual_period_posted = a.new_p,
               accrual_remainder = a.new_r, updated_at = now()
          FROM eod_accrual a
         WHERE l.id = a.loan_id AND NOT a.behind
        """,
        [d],
    )
    # leases: the unearned finance income follows the interest accrued (decision 0014)
    post_lines(
        ctx=ctx,
        step="accrual",
        lines_sql=LINES,
        params=params,
        source_type="accrual",
        description=memo("eod_interest_accrual", date=d),
        lo=lo,
        hi=hi,
    )
    totals = one(
        "SELECT count(*), coalesce(sum(interest) FILTER (WHERE NOT non_accrual), 0),"
        " coalesce(sum(interest) FILTER (WHERE non_accrual), 0), coalesce(sum(fee), 0)"
        " FROM eod_accrual WHERE NOT behind"
    )
    stage3 = one("SELECT count(*), coalesce(sum(amount), 0) FROM eod_stage3 WHERE amount > 0")
    if behind:
        for loan_id in behind:
            loan_accrue(loan_id=loan_id, through=d, actor=ctx.actor, business_date=d)
    return {
        "loans": totals[0] + len(behind),
        "interest": str(totals[1]),
        "off_balance_interest": str(totals[2]),
        "fees": str(totals[3]),
        "stage3_net_interest": str(stage3[1]),
        "fallback": len(behind),
    }
