"""Step 10 — general-ledger summary and trial balance.

Per ledger account: the day's debits and credits (lines of entries dated D), the cumulative
totals (the previous summary's plus the day's; the first summary sums the whole ledger once)
and the balance on the account's normal side, stored as `GlSummary` rows for D. The trial
balance must be zero — the day's debits equal its credits and so do the cumulative totals —
or the step fails and the business date does not advance. Postings made during the batch
carry D+1 and belong to tomorrow's summary.

Honestly: the trial balance cannot fail while the ledger's guards hold (a trigger refuses any
entry that does not balance, and lines are append-only); it is kept as a cheap assertion on
this summary's own arithmetic and on writes made in maintenance mode. The check that can fail,
and does when a stored figure drifts, is the next step: `reconciliation`, each loan's stored
figures against its ledger balances.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import one, rows, run


class TrialBalanceError(Exception):
    pass


@register(code="gl_summary", label=_("总账汇总与试算平衡"), position=100, chunked=False)
def gl_summary_step(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    previous = one(
        "SELECT max(business_date) FROM servicing_glsummary WHERE business_date < %s", [d]
    )[0]
    run("DELETE FROM servicing_glsummary WHERE business_date = %s", [d])
    if previous is None:
        base_sql = """
            SELECT l.account_id, sum(CASE l.side WHEN 'D' THEN l.amount ELSE 0 END) AS debit,
                   sum(CASE l.side WHEN 'C' THEN l.amount ELSE 0 END) AS credit
              FROM servicing_journalline l
             WHERE l.business_date < %(d)s GROUP BY l.account_id
        """
    else:
        base_sql = """
            SELECT a.id AS account_id, g.total_debit AS debit, g.total_credit AS credit
              FROM servicing_glsummary g JOIN servicing_ledgeraccount a ON a.code = g.account_code
             WHERE g.business_date = %(prev)s
        """
    run(
        f"""
        INSERT INTO servicing_glsummary
            (business_date, account_code, day_debit, day_credit, total_debit, total_credit,
             balance)
        SELECT %(d)s, a.code, coalesce(m.debit, 0), coalesce(m.credit, 0),
               coalesce(b.debit, 0) + coalesce(m.debit, 0),
               coalesce(b.credit, 0) + coalesce(m.credit, 0),
               CASE a.normal_side
                    WHEN 'D' THEN (coalesce(b.debit, 0) + coalesce(m.debit, 0))
                                - (coalesce(b.credit, 0) + coalesce(m.credit, 0))
                    ELSE (coalesce(b.credit, 0) + coalesce(m.credit, 0))
                       - (coalesce(b.debit, 0) + coalesce(m.debit, 0)) END
          FROM servicing_ledgeraccount a
          LEFT JOIN ({base_sql}) b ON b.account_id = a.id
          LEFT JOIN (
                SELECT l.account_id,
                       sum(CASE l.side WHEN 'D' THEN l.amount ELSE 0 END) AS debit,
                       sum(CASE l.side WHEN 'C' THEN l.amount ELSE 0 END) AS credit
                  -- a line carries its entry's date: one month partition is read
                  FROM servicing_journalline l
                 WHERE l.business_date = %(d)s GROUP BY l.account_id
               ) m ON m.account_id = a.id
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"d": d, "prev": previous},
    )
    day_d, day_c, tot_d, tot_c, accounts = one(
        """
        SELECT coalesce(sum(day_debit), 0), coalesce(sum(day_credit), 0),
               coalesce(sum(total_debit), 0), coalesce(sum(total_credit), 0), count(*)
          FROM servicing_glsummary WHERE business_date = %s
        """,
        [d],
    )
    if day_d != day_c or tot_d != tot_c:
        raise TrialBalanceError(
            f"试算不平衡：本日借方 {day_d} 贷方 {day_c}，累计借方 {tot_d} 贷方 {tot_c}"
        )
    movers = rows(
        "SELECT account_code, day_debit, day_credit FROM servicing_glsummary"
        " WHERE business_date = %s AND (day_debit <> 0 OR day_credit <> 0) ORDER BY account_code",
        [d],
    )
    return {
        "accounts": accounts,
        "day_debit": str(day_d),
        "day_credit": str(day_c),
        "total_debit": str(tot_d),
        "trial_balance": str(Decimal(tot_d) - Decimal(tot_c)),
        "movements": {code: [str(dd), str(cc)] for code, dd, cc in movers},
    }
