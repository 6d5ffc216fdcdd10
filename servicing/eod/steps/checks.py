"""Step 8 — checks: mortgage registration and GPS installation past their post-funding
deadline, insurance expiring.

* A loan whose mortgage registration (or GPS installation) is still `pending` after its
  deadline (deadline <= D) is marked `overdue` (loan locked in id order; audit row) and gets a
  `LoanTask` (mortgage_overdue / gps_overdue, ref_date = the deadline) for the servicing team.
* Insurance: a car loan's insurance is renewed yearly from the value date; 30 days before each
  anniversary (counted from D+1) an `insurance_expiring` task asks for the renewed policy.
Tasks are unique per (loan, kind, ref_date): a re-run adds none.
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, audit_bulk, content_type_id, lock_loans, rows, run
from servicing.models.loans import Loan

INSURANCE_NOTICE_DAYS = 30


def _collateral(ctx: StepContext, lo: int, hi: int, field: str, kind: str) -> int:
    d = ctx.business_date
    cond = f"l.{field}_status = 'pending' AND l.{field}_deadline <= %(d)s"
    ids = lock_loans(lo, hi, cond, {"d": d})
    if not ids:
        return 0
    changed = rows(
        f"""
        UPDATE servicing_loan l SET {field}_status = 'overdue', updated_at = now()
         WHERE l.id = ANY(%s) RETURNING l.id, l.contract_ref, l.{field}_deadline
        """,  # noqa: S608 - SQL built from constants; values are bound
        [ids],
    )
    run(
        """
        INSERT INTO servicing_loantask
            (loan_id, kind, ref_date, business_date, status, detail, created_at)
        SELECT u.id, %s, u.deadline, %s, 'open', '{}'::jsonb, now()
          FROM unnest(%s::bigint[], %s::date[]) AS u(id, deadline)
        ON CONFLICT (loan_id, kind, ref_date) DO NOTHING
        """,
        [kind, d, [c[0] for c in changed], [c[2] for c in changed]],
    )

    audit_bulk(
        ct=content_type_id(Loan),
        ids=[c[0] for c in changed],
        reprs=[c[1] for c in changed],
        action=f"loan_{field}_overdue",
        froms=["pending"] * len(changed),
        tos=["overdue"] * len(changed),
        actor=ctx.actor,
        data=json.dumps({"business_date": d.isoformat()}),
    )
    return len(changed)


@register(code="checks", label=_("抵押、GPS 与保险检查"), position=80)
def checks_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    mortgage = _collateral(ctx, lo, hi, "mortgage", "mortgage_overdue")
    gps = _collateral(ctx, lo, hi, "gps", "gps_overdue")
    anniversary = ctx.next_date + dt.timedelta(days=INSURANCE_NOTICE_DAYS)
    insurance = run(
        f"""
        INSERT INTO servicing_loantask
            (loan_id, kind, ref_date, business_date, status, detail, created_at)
        SELECT l.id, 'insurance_expiring', %(anniv)s, %(d)s, 'open',
               jsonb_build_object('expires_on', %(anniv)s::text), now()
          FROM servicing_loan l
         WHERE l.id BETWEEN %(lo)s AND %(hi)s
           AND l.status NOT IN {CLOSED_SQL}
           AND l.vin <> '' AND l.value_date < %(anniv)s
           AND extract(month FROM l.value_date) = %(month)s
           AND extract(day FROM l.value_date) = %(day)s
        ON CONFLICT (loan_id, kind, ref_date) DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        {
            "anniv": anniversary,
            "d": ctx.business_date,
            "lo": lo,
            "hi": hi,
            "month": anniversary.month,
            "day": anniversary.day,
        },
    )
    return {"mortgage_overdue": mortgage, "gps_overdue": gps, "insurance_expiring": insurance}
