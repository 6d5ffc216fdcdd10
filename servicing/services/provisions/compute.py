"""The month-end provision run, set-based: one statement per phase, no per-loan loop.

1. `ProvisionPd`: every segment's (product line × tier × stage 1/2) observed 12-month PD from
   the book's own snapshots a year back (servicing.eod.steps.snapshot), or the policy's
   fallback when the cohort is thinner than `ecl.pd_min_cohort`;
2. `LoanProvision`: every open loan's stage (servicing.loan_rules.ecl_stage_sql), PD over its
   horizon with the forward-looking overlay, LGD, EAD and ECL, in one INSERT … SELECT;
3. the run's totals.

A run not yet posted is computed again from scratch on request; a posted run is returned as it
is (its month posts nothing twice). Formulas: docs/decisions/0012-expected-credit-loss.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models.products import VehicleKind
from servicing import loan_rules
from servicing.models.provisions import LoanProvision, ProvisionPd, ProvisionRun, ProvisionStatus
from servicing.services.provisions.parameters import (
    UNKNOWN,
    EclParameters,
    ProvisionError,
    ecl_parameters,
)

CLOSED = loan_rules.closed_sql()
IMPAIRED = "(" + ", ".join(f"'{c}'" for c in loan_rules.ECL_IMPAIRED_CLASSES) + ")"
LINES = tuple(VehicleKind.values)
TIERS = ("A", "B", "C", "D", UNKNOWN)
# the longest horizon a PD is tabulated for (months); longer remaining terms use it
MAX_HORIZON = 480


def _in(values) -> str:
    # values are declared constants (product lines, tiers), never user input
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# a loan's segment (aliases: l the loan, d its funding disbursement)
LINE_SQL = (
    f"(CASE WHEN l.product_rules ->> 'vehicle_kind' IN {_in(LINES)}"
    f" THEN l.product_rules ->> 'vehicle_kind' ELSE '{UNKNOWN}' END)"
)
TIER_SQL = (
    f"(CASE WHEN d.contract_facts ->> 'tier' IN {_in(TIERS[:-1])}"
    f" THEN d.contract_facts ->> 'tier' ELSE '{UNKNOWN}' END)"
)
STAGE_SQL = loan_rules.ecl_stage_sql(
    dpd="coalesce(x.dpd, 0)",
    restructured="(l.restructure_count > 0 OR l.status = 'restructured')",
    warning_level="coalesce(w.level, 'none')",
)
# whole months from the value date to the run's date, in integer arithmetic (age() on a million
# rows costs seconds): the month difference, less one when the day of month is not reached yet
MONTHS_ON_BOOK = (
    "((extract(year FROM %(as_of)s::date) - extract(year FROM l.value_date)) * 12"
    " + extract(month FROM %(as_of)s::date) - extract(month FROM l.value_date)"
    " - CASE WHEN extract(day FROM %(as_of)s::date) < extract(day FROM l.value_date)"
    " THEN 1 ELSE 0 END)::int"
)


def _pd_table(run: ProvisionRun, p: EclParameters) -> None:
    """Phase 1: the 12-month PD of every segment. The cohort: the loans open and not impaired in
    the latest snapshot at least a year before the run, by the stage their DPD gave them then;
    defaulted: charged off since, or impaired (次级 and below) now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(business_date) FROM servicing_loansnapshot"
            " WHERE business_date <= (%s::date - interval '12 months')"
            " AND business_date > (%s::date - interval '13 months')",
            [run.as_of, run.as_of],
        )
        cohort_date = cursor.fetchone()[0]
        fallback = [(t, 1, p.pd12_fallback[t]) for t in TIERS]
        fallback += [(t, 2, p.pd12_fallback_stage2) for t in TIERS]
        values = ", ".join(
            f"(%(t{i})s, %(s{i})s::int, %(p{i})s::numeric)" for i in range(len(fallback))
        )
        cursor.execute(
            f"""
            WITH hist AS (
                SELECT {LINE_SQL} AS product_line, {TIER_SQL} AS tier,
                       CASE WHEN s.dpd > %(s2)s THEN 2 ELSE 1 END AS stage,
                       count(*) AS cohort,
                       count(*) FILTER (
                           WHERE l.status = 'charged_off'
                              OR (l.status NOT IN {CLOSED}
                                  AND {loan_rules.classification_sql("coalesce(x.dpd, 0)")}
                                      IN {IMPAIRED})) AS defaults
                  FROM servicing_loansnapshot s
                  JOIN servicing_loan l ON l.id = s.loan_id
                  LEFT JOIN servicing_loandelinquency x ON x.loan_id = l.id
                  LEFT JOIN servicing_disbursement d ON d.loan_id = l.id
                 WHERE s.business_date = %(cohort_date)s AND s.status NOT IN {CLOSED}
                   AND s.classification NOT IN {IMPAIRED}
                 GROUP BY 1, 2, 3),
            fb(tier, stage, pd) AS (VALUES {values})
            INSERT INTO servicing_provisionpd
                (run_id, product_line, tier, stage, cohort, defaults, pd12, source)
            SELECT %(run)s, seg.line, fb.tier, fb.stage,
                   coalesce(h.cohort, 0), coalesce(h.defaults, 0),
                   CASE WHEN coalesce(h.cohort, 0) >= %(min)s
                        THEN greatest(%(floor)s, round(h.defaults::numeric / h.cohort, 6))
                        ELSE fb.pd END,
                   CASE WHEN coalesce(h.cohort, 0) >= %(min)s THEN 'history' ELSE 'fallback' END
              FROM unnest(%(lines)s::text[]) AS seg(line)
             CROSS JOIN fb
              LEFT JOIN hist h
                     ON h.product_line = seg.line AND h.tier = fb.tier AND h.stage = fb.stage
            """,  # noqa: S608 - SQL built from constants; values are bound
            _named(
                fallback,
                {
                    "run": run.pk,
                    "s2": loan_rules.ECL_STAGE2_DPD,
                    "cohort_date": cohort_date,
                    "min": p.pd_min_cohort,
                    "floor": p.pd12_floor,
                    "lines": [*LINES, UNKNOWN],
                },
            ),
        )


def _named(fallback: list[tuple], params: dict) -> dict:
    """psycopg takes one style per statement: the VALUES rows become named parameters too."""
    out = dict(params)
    for i, (tier, stage, pd) in enumerate(fallback):
        out[f"t{i}"], out[f"s{i}"], out[f"p{i}"] = tier, stage, pd
    return out


def _loan_rows(run: ProvisionRun, p: EclParameters) -> None:
    """Phase 2: one ECL row per open loan, in one INSERT … SELECT.

    PD: stage 3 is 1; stage 1 is 1 − (1 − PD12)^(h/12) over h = min(12, remaining months),
    stage 2 the same over the remaining term (lifetime) with the stage-2 PD12, both times the
    overlay, capped at 1. LGD of a secured loan: 1 − (1 − haircut) / LTV, floored, capped at 1,
    from the current LTV of the month's revaluation (LoanExternalFacts.ltv_current,
    servicing.services.collateral_checks.revaluation) where the car was valued, else from the
    LTV at origination (vehicle price / amount financed); a loan with neither takes lgd_no_ltv.
    EAD: the principal outstanding. ECL = PD × LGD × EAD, rounded half-up to the fen (PostgreSQL's
    round() rounds half away from zero: half-up for these positive figures)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH horizon AS MATERIALIZED (
                SELECT g.product_line, g.tier, g.stage, m.m AS months,
                       least(1, round(%(overlay)s * (1 - power(1 - g.pd12, m.m / 12.0)), 6)) AS pd
                  FROM servicing_provisionpd g
                 CROSS JOIN generate_series(1, {MAX_HORIZON}) AS m(m)
                 WHERE g.run_id = %(run)s),
            book AS MATERIALIZED (
                SELECT l.id, {LINE_SQL} AS product_line, {TIER_SQL} AS tier, {STAGE_SQL} AS stage,
                       coalesce(x.dpd, 0) AS dpd,
                       greatest(1, least({MAX_HORIZON}, l.term_months - {MONTHS_ON_BOOK}))
                           AS remaining,
                       l.principal_outstanding AS ead, l.schedule_rate,
                       greatest(%(floor)s, CASE
                           WHEN l.product_rules ->> 'secured' = 'false' THEN %(unsecured)s
                           WHEN ef.ltv_current > 0
                               THEN least(1, round(1 - (1 - %(haircut)s) / ef.ltv_current, 6))
                           WHEN nullif(d.contract_facts ->> 'vehicle_price', '')::numeric > 0
                               THEN least(1, round(1 - (1 - %(haircut)s)
                                   * (d.contract_facts ->> 'vehicle_price')::numeric
                                   / l.amount_financed, 6))
                           ELSE %(no_ltv)s END) AS lgd
                  FROM servicing_loan l
                  LEFT JOIN servicing_loandelinquency x ON x.loan_id = l.id
                  LEFT JOIN servicing_loanriskprofile w ON w.loan_id = l.id
                  LEFT JOIN servicing_disbursement d ON d.loan_id = l.id
                  LEFT JOIN servicing_loanexternalfacts ef ON ef.loan_id = l.id
                 WHERE l.status NOT IN {CLOSED} AND l.value_date <= %(as_of)s),
            priced AS (
                SELECT b.*, CASE WHEN b.stage = 3 THEN 1::numeric ELSE h.pd END AS pd
                  FROM book b
                  LEFT JOIN horizon h
                         ON h.product_line = b.product_line AND h.tier = b.tier
                        AND h.stage = b.stage
                        AND h.months = CASE WHEN b.stage = 1 THEN least(12, b.remaining)
                                            ELSE b.remaining END)
            INSERT INTO servicing_loanprovision
                (run_id, loan_id, stage, product_line, tier, dpd, classification,
                 remaining_months, pd, lgd, ead, ecl, net_interest)
            SELECT %(run)s, id, stage, product_line, tier, dpd,
                   {loan_rules.classification_sql("dpd")}, remaining, pd, lgd, ead,
                   round(pd * lgd * ead, 2),
                   CASE WHEN stage = 3
                        THEN round((ead - round(pd * lgd * ead, 2)) * schedule_rate / 12, 2)
                        ELSE 0 END
              FROM priced
            """,  # noqa: S608 - SQL built from constants; values are bound
            {
                "run": run.pk,
                "as_of": run.as_of,
                "overlay": run.overlay,
                "floor": p.lgd_floor,
                "unsecured": p.lgd_unsecured,
                "haircut": p.collateral_haircut,
                "no_ltv": p.lgd_no_ltv,
            },
        )


def _totals(run: ProvisionRun) -> None:
    """Phase 3: the run's count, EAD and ECL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE servicing_provisionrun r
               SET loans = t.n, ead = t.ead, ecl = t.ecl
              FROM (SELECT count(*) AS n, coalesce(sum(ead), 0) AS ead,
                           coalesce(sum(ecl), 0) AS ecl
                      FROM servicing_loanprovision WHERE run_id = %s) t
             WHERE r.id = %s
            """,
            [run.pk, run.pk],
        )


def provision_run_compute(*, as_of: dt.date, actor: Any) -> ProvisionRun:
    """Compute (or compute again) the provision run of `as_of`'s month, measured on the book as
    the batch left it at the close of `as_of`. A posted month is returned unchanged."""
    params = ecl_parameters(on=as_of)
    month = as_of.replace(day=1)
    with transaction.atomic():
        run, _created = ProvisionRun.objects.select_for_update().get_or_create(
            month=month, defaults={"as_of": as_of, "overlay": params.overlay}
        )
        if run.status == ProvisionStatus.POSTED:
            return run
        later = ProvisionRun.objects.filter(month__gt=month, status=ProvisionStatus.POSTED)
        if later.exists():
            raise ProvisionError(_("以后月份的减值准备已过账，不能重新计算本月。"))
        LoanProvision.objects.filter(run=run).delete()
        ProvisionPd.objects.filter(run=run).delete()
        run.as_of = as_of
        run.overlay = params.overlay
        run.parameters = params.as_json()
        run.previous = (
            ProvisionRun.objects.filter(month__lt=month, status=ProvisionStatus.POSTED)
            .order_by("-month")
            .first()
        )
        run.computed_at = timezone.now()
        run.computed_by = str(getattr(actor, "username", actor))[:150]
        run.save()
        with connection.cursor() as cursor:
            # one big statement: no JIT (≈0.5 s of compiling per statement, as in the batch's
            # chunks) and room to hash the book in memory instead of sorting it on disk
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")
        _pd_table(run, params)
        _loan_rows(run, params)
        _totals(run)
        run.refresh_from_db()
        audit_record(
            actor=actor,
            obj=run,
            action="provision_compute",
            to_state=run.status,
            data={"as_of": as_of.isoformat(), "loans": run.loans, "ecl": str(run.ecl)},
        )
    return run
