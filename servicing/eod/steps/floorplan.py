"""Floor-plan (库存融资) nightly steps: the advances' daily interest (after the loans' accrual),
then their curtailments, overdue marks and line freezes (after the instalments fall due).

Interest (`floorplan_accrual`): every funded advance accrues day D on night D — from the day
after its watermark (`accrued_through`; the funding day itself when it has none) to D,
actual days over 365: exact = principal outstanding x rate x days / 365 + the carried remainder,
posted ROUNDED DOWN to the fen, the sub-fen remainder carried to the next night. One ledger
entry for the night: floor-plan interest receivable Dr / floor-plan interest income Cr, each
line keyed by its advance and dealer. A payoff on day P therefore owes interest from the
funding day up to P (P - funded_on days).

Curtailments (`floorplan_curtailments`), billed monthly: a stage of an advance's plan
([age in days, cumulative percent]) is raised (billed) once the month its due date falls in has
begun — due date = funded_on + age; the stage owes its cumulative share of the advance (rounded
half up to the fen) less what is already billed or repaid, so a prepayment shrinks the next
stage and the stages always sum to the advance. INSERT ... SELECT ... ON CONFLICT DO NOTHING
(unique advance + stage): a re-run raises nothing twice. Then overdue marks: a stage unpaid
after its due date, and an advance with such a stage or still owing after its own due date
(funded_on + the plan's last age), is overdue since D; one that is no longer is cleared. A line
with an advance that turned overdue tonight is frozen (one call per line, with the reason).
Last, the stock audits (盘库) due are scheduled for the next business date: the lines not
audited for `servicing.floorplan_audit_interval_days`, and the night's random draw
(`servicing.floorplan_random_audit_per_mille`), one INSERT each for the audits and their cars.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from origination.services.floorplan import lines_freeze_many
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import one, post_lines, rows, run, temp_table
from servicing.memos import memo
from servicing.services.floorplan.audits import audits_due_schedule

ACCRUE = """
SELECT a.id AS advance_id, a.dealer_id, x.exact, trunc(x.exact, 2) AS interest
  FROM servicing_floorplanadvance a
 CROSS JOIN LATERAL (
       SELECT (a.principal_outstanding * a.annual_rate
               * (%(d)s::date - coalesce(a.accrued_through, a.funded_on - 1)))
              ::numeric(48, 20) / 365 + a.accrual_remainder AS exact) x
 WHERE a.id = ANY(%(ids)s)
"""

LINES = """
SELECT 'floorplan_interest_receivable' AS code, 'D' AS side, interest AS amount,
       advance_id AS floorplan_advance_id, dealer_id
  FROM fp_accrual WHERE interest > 0
UNION ALL
SELECT 'floorplan_interest_income', 'C', interest, advance_id, dealer_id
  FROM fp_accrual WHERE interest > 0
"""


@register(code="floorplan_accrual", label=_("库存融资利息计提"), position=15, chunked=False)
def floorplan_accrual_step(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    # the advance rows only: the lock every payoff of an advance takes first
    ids = [
        r[0]
        for r in rows(
            """
            SELECT id FROM servicing_floorplanadvance
             WHERE status = 'funded' AND funded_on <= %s
               AND (accrued_through IS NULL OR accrued_through < %s)
             ORDER BY id
               FOR UPDATE
            """,
            [d, d],
        )
    ]
    if not ids:
        return {"advances": 0, "interest": "0.00"}
    temp_table("fp_accrual", ACCRUE, {"ids": ids, "d": d})
    run(
        """
        UPDATE servicing_floorplanadvance a
           SET interest_accrued_unpaid = a.interest_accrued_unpaid + x.interest,
               accrual_remainder = round(x.exact - x.interest, 10),
               accrued_through = %s, updated_at = now()
          FROM fp_accrual x
         WHERE a.id = x.advance_id
        """,
        [d],
    )
    post_lines(
        ctx=ctx,
        step="floorplan_accrual",
        lines_sql=LINES,
        params={},
        source_type="floorplan",
        description=memo("eod_floorplan_accrual", date=d),
        lo=lo,
        hi=hi,
        keys=("floorplan_advance_id", "dealer_id"),
    )
    total = one("SELECT count(*), coalesce(sum(interest), 0) FROM fp_accrual")
    return {"advances": total[0], "interest": str(total[1])}


# The plan's stages with their cumulative amounts (alias a = the advance).
STAGES = """
SELECT a.id AS advance_id, s.stage::int AS stage, (a.funded_on + (s.age)::int) AS due_on,
       s.percent, round(a.amount * s.percent / 100, 2) AS cumulative,
       coalesce(round(a.amount * lag(s.percent) OVER (PARTITION BY a.id ORDER BY s.stage) / 100,
                      2), 0) AS cumulative_before
  FROM servicing_floorplanadvance a
 CROSS JOIN LATERAL (
       SELECT e.n AS stage, (e.v ->> 0)::int AS age, (e.v ->> 1)::numeric AS percent
         FROM jsonb_array_elements(a.curtailment_plan) WITH ORDINALITY AS e(v, n)) s
 WHERE a.status = 'funded'
"""

# Principal already billed and unpaid, or repaid, per advance: what a new stage builds on.
CLAIMED = """
SELECT a.id AS advance_id,
       (a.amount - a.principal_outstanding)
       + coalesce(sum(c.amount - c.paid_amount), 0) AS claimed,
       coalesce(max(c.stage), 0) AS last_stage
  FROM servicing_floorplanadvance a
  LEFT JOIN servicing_floorplancurtailment c ON c.advance_id = a.id
 WHERE a.status = 'funded'
 GROUP BY a.id
"""


def billing_horizon(d: dt.date) -> dt.date:
    """The last day of the month the next business date falls in: a stage due by then is on
    this month's bill (at month-end the whole coming month's stages are billed)."""
    start = d + dt.timedelta(days=1)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


@register(
    code="floorplan_curtailments", label=_("库存融资分期还款与逾期"), position=25, chunked=False
)
def floorplan_curtailments_step(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    rows("SELECT id FROM servicing_floorplanadvance WHERE status = 'funded' ORDER BY id FOR UPDATE")
    temp_table("fp_stages", STAGES)
    temp_table("fp_claimed", CLAIMED)
    billed = run(
        """
        INSERT INTO servicing_floorplancurtailment
            (advance_id, stage, due_on, percent, amount, paid_amount, status, billed_on,
             created_at, updated_at)
        SELECT s.advance_id, s.stage, s.due_on, s.percent,
               s.cumulative - greatest(c.claimed, s.cumulative_before), 0, 'billed', %(d)s,
               now(), now()
          FROM fp_stages s
          JOIN fp_claimed c ON c.advance_id = s.advance_id
         WHERE s.stage > c.last_stage AND s.due_on <= %(horizon)s
           AND s.cumulative > greatest(c.claimed, s.cumulative_before)
        ON CONFLICT (advance_id, stage) DO NOTHING
        """,
        {"d": d, "horizon": billing_horizon(d)},
    )
    stages_overdue = run(
        """
        UPDATE servicing_floorplancurtailment c SET status = 'overdue', updated_at = now()
          FROM servicing_floorplanadvance a
         WHERE a.id = c.advance_id AND a.status = 'funded'
           AND c.status = 'billed' AND c.due_on <= %s
        """,
        [d],
    )
    turned = rows(
        """
        UPDATE servicing_floorplanadvance a
           SET overdue = true, overdue_since = %(d)s, updated_at = now()
         WHERE a.status = 'funded' AND NOT a.overdue
           AND (a.due_on <= %(d)s
                OR EXISTS (SELECT 1 FROM servicing_floorplancurtailment c
                            WHERE c.advance_id = a.id AND c.status = 'overdue'))
        RETURNING a.line_id, a.vin
        """,
        {"d": d},
    )
    cured = run(
        """
        UPDATE servicing_floorplanadvance a
           SET overdue = false, overdue_since = NULL, updated_at = now()
         WHERE a.overdue AND (a.status <> 'funded'
               OR (a.due_on > %(d)s
                   AND NOT EXISTS (SELECT 1 FROM servicing_floorplancurtailment c
                                    WHERE c.advance_id = a.id AND c.status = 'overdue')))
        """,
        {"d": d},
    )
    by_line: dict[int, list[str]] = {}
    for line_id, vin in turned:
        by_line.setdefault(line_id, []).append(vin)
    frozen = len(
        lines_freeze_many(
            reasons={
                line_id: memo("floorplan_overdue_freeze", date=d, vins="、".join(sorted(vins)))
                for line_id, vins in by_line.items()
            },
            by=ctx.actor,
        )
    )
    return {
        "curtailments_billed": billed,
        "curtailments_overdue": stages_overdue,
        "advances_overdue": len(turned),
        "advances_cured": cured,
        "lines_frozen": frozen,
        "audits_scheduled": audits_due_schedule(as_of=d, actor=ctx.actor),
    }
