"""Read queries for expected credit loss: a loan's allowance (what a charge-off uses), a run's
allowance roll-forward, and the provision report (stage matrix, ratios, coverage by product,
general reserve and the floor alerts)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Sum

from autofin.money import ZERO
from servicing.models import AccountCode, JournalLine, Side, SourceType
from servicing.models.provisions import LoanProvision, ProvisionRun, ProvisionStatus

RATIO = Decimal("0.0001")
FEN = Decimal("0.01")
STAGES = (1, 2, 3)


def loan_allowance(*, loan_id: int) -> Decimal:
    """The loan's allowance: its ECL in the latest posted run (ZERO if none counted it), less
    what the nightly accrual has released of it since as stage-3 interest on the net amount
    (servicing.eod.steps.accrual)."""
    row = (
        LoanProvision.objects.filter(loan_id=loan_id, run__status=ProvisionStatus.POSTED)
        .order_by("-run__month")
        .values_list("ecl", "run__as_of")
        .first()
    )
    if row is None:
        return ZERO
    ecl, as_of = row
    released = JournalLine.objects.filter(
        loan_id=loan_id,
        account__code=AccountCode.LOAN_LOSS_ALLOWANCE,
        side=Side.DEBIT,
        entry__source_type=SourceType.ACCRUAL,
        entry__business_date__gt=as_of,
    ).aggregate(s=Sum("amount"))["s"]
    return ecl - (released or ZERO)


def rollforward_figures(run: ProvisionRun) -> dict[str, Decimal]:
    """The allowance's movement from the previous posted run to `run`, per loan, in one query.

    new loans: the ECL of loans the previous run did not hold; transfers: the change of loans
    whose stage moved; remeasurement: the change of loans that kept their stage; of the loans
    gone since (repaid, charged off), `written_off` is what their charge-offs used of the
    allowance and `derecognised` the rest, released."""
    prev = run.previous_id or 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH c AS (SELECT loan_id, stage, ecl FROM servicing_loanprovision WHERE run_id = %s),
                 p AS (SELECT loan_id, stage, ecl FROM servicing_loanprovision WHERE run_id = %s),
                 used AS (
                    SELECT jl.loan_id, sum(jl.amount) AS amount
                      FROM servicing_journalline jl
                      JOIN servicing_journalentry je ON je.id = jl.entry_id
                      JOIN servicing_ledgeraccount a ON a.id = jl.account_id
                     WHERE a.code = %s AND jl.side = 'D' AND je.source_type = 'charge_off'
                       AND jl.loan_id IN (SELECT loan_id FROM p)
                     GROUP BY jl.loan_id)
            SELECT coalesce(sum(c.ecl) FILTER (WHERE p.loan_id IS NULL), 0),
                   coalesce(sum(c.ecl - p.ecl) FILTER (
                       WHERE c.loan_id IS NOT NULL AND p.loan_id IS NOT NULL
                         AND c.stage <> p.stage), 0),
                   coalesce(sum(c.ecl - p.ecl) FILTER (
                       WHERE c.loan_id IS NOT NULL AND p.loan_id IS NOT NULL
                         AND c.stage = p.stage), 0),
                   coalesce(sum(p.ecl) FILTER (WHERE c.loan_id IS NULL), 0),
                   coalesce(sum(u.amount) FILTER (WHERE c.loan_id IS NULL), 0),
                   coalesce(sum(p.ecl), 0)
              FROM c FULL JOIN p ON p.loan_id = c.loan_id
              LEFT JOIN used u ON u.loan_id = p.loan_id
            """,
            [run.pk, prev, AccountCode.LOAN_LOSS_ALLOWANCE.value],
        )
        new, transfers, remeasured, gone, used, opening = cursor.fetchone()
    return {
        "opening": opening,
        "new_loans": new,
        "transfers": transfers,
        "remeasurement": remeasured,
        "written_off": used,
        "derecognised": gone - used,
    }


def stage_matrix(run: ProvisionRun) -> dict:
    """Loans and ECL from the previous run's stage (or new) to this run's (or derecognised)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(p.stage, 0), coalesce(c.stage, 0), count(*), coalesce(sum(c.ecl), 0)
              FROM (SELECT loan_id, stage, ecl FROM servicing_loanprovision WHERE run_id = %s) c
              FULL JOIN (SELECT loan_id, stage FROM servicing_loanprovision WHERE run_id = %s) p
                     ON p.loan_id = c.loan_id
             GROUP BY 1, 2
            """,
            [run.pk, run.previous_id or 0],
        )
        cells = {(frm, to): (n, ecl) for frm, to, n, ecl in cursor.fetchall()}
    rows = []
    for frm in (*STAGES, 0):  # 0 = new (not in the previous run)
        counts = [cells.get((frm, to), (0, ZERO))[0] for to in (*STAGES, 0)]
        total = sum(counts)
        if frm == 0 and not total:
            continue
        rows.append(
            {
                "from": frm,
                "cells": [
                    {
                        "to": to,
                        "count": n,
                        "ecl": cells.get((frm, to), (0, ZERO))[1],
                        "share": _ratio(Decimal(n), Decimal(total)),
                    }  # fmt: skip
                    for to, n in zip((*STAGES, 0), counts, strict=True)
                ],
                "total": total,
            }
        )
    return {"rows": rows, "columns": [*STAGES, 0]}


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    return (num / den).quantize(RATIO, rounding=ROUND_HALF_UP) if den else None


def _by_product(run: ProvisionRun) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT product_line, count(*), sum(ead),
                   coalesce(sum(ead) FILTER (WHERE stage = 3), 0),
                   coalesce(sum(ead) FILTER (WHERE stage = 1), 0),
                   coalesce(sum(ead) FILTER (WHERE stage = 2), 0), sum(ecl)
              FROM servicing_loanprovision WHERE run_id = %s
             GROUP BY 1 ORDER BY 1
            """,
            [run.pk],
        )
        return [
            {
                "product_line": line,
                "loans": n,
                "ead": ead,
                "npl": npl,
                "stage1": s1,
                "stage2": s2,
                "ecl": ecl,
                "coverage": _ratio(ecl, npl),
                "provision_ratio": _ratio(ecl, ead),
            }  # fmt: skip
            for line, n, ead, npl, s1, s2, ecl in cursor.fetchall()
        ]


def _by_stage(run: ProvisionRun) -> list[dict]:
    got = {
        r["stage"]: r
        for r in run.rows.values("stage")
        .order_by("stage")
        .annotate(loans=Count("id"), ead=Sum("ead"), ecl=Sum("ecl"))
    }
    return [
        {
            "stage": s,
            "loans": got.get(s, {}).get("loans", 0),
            "ead": got.get(s, {}).get("ead") or ZERO,
            "ecl": got.get(s, {}).get("ecl") or ZERO,
        }
        for s in STAGES
    ]


def provision_report(run: ProvisionRun) -> dict:
    """Everything the provision page shows for `run`; ratios to four places, half-up.

    NPL (不良贷款) = principal of stage-3 loans (次级, 可疑, 损失); 不良贷款率 = NPL / loans;
    拨备覆盖率 = allowance / NPL; 贷款拨备率 = allowance / loans; 一般准备 = rate × risk assets
    (the loans' principal)."""
    params = run.parameters or {}
    stages = _by_stage(run)
    npl = stages[2]["ead"]
    coverage = _ratio(run.ecl, npl)
    provision_ratio = _ratio(run.ecl, run.ead)
    coverage_floor = Decimal(params.get("coverage_floor", "0"))
    ratio_floor = Decimal(params.get("provision_ratio_floor", "0"))
    reserve_rate = Decimal(params.get("general_reserve_rate", "0"))
    roll = (
        {k: getattr(run, k) for k in ROLL_FIELDS}
        if run.status == ProvisionStatus.POSTED
        else rollforward_figures(run)
    )
    closing = (
        roll["opening"] + roll["new_loans"] + roll["transfers"] + roll["remeasurement"]
        - roll["derecognised"] - roll["written_off"]
    )  # fmt: skip
    return {
        "run": run,
        "stages": stages,
        "matrix": stage_matrix(run),
        "by_product": _by_product(run),
        "roll": roll,
        "roll_closing": closing,
        "roll_difference": closing - run.ecl,
        "npl": npl,
        "npl_ratio": _ratio(npl, run.ead),
        "coverage": coverage,
        "provision_ratio": provision_ratio,
        "coverage_floor": coverage_floor,
        "provision_ratio_floor": ratio_floor,
        "coverage_alert": coverage is not None and coverage < coverage_floor,
        "provision_ratio_alert": provision_ratio is not None and provision_ratio < ratio_floor,
        "general_reserve_rate": reserve_rate,
        "general_reserve": (run.ead * reserve_rate).quantize(FEN, rounding=ROUND_HALF_UP),
        "stage3_net_interest": run.rows.filter(stage=3).aggregate(s=Sum("net_interest"))["s"]
        or ZERO,
        "pds": _pds_used(run),
    }


def _pds_used(run: ProvisionRun) -> list:
    """The segment PDs of the product lines and tiers the run's book holds."""
    held = set(run.rows.values_list("product_line", "tier").distinct())
    return [
        pd
        for pd in run.pds.order_by("product_line", "tier", "stage")
        if (pd.product_line, pd.tier) in held
    ]


ROLL_FIELDS = ("opening", "new_loans", "transfers", "remeasurement", "derecognised", "written_off")


def provision_runs() -> list[ProvisionRun]:
    return list(ProvisionRun.objects.order_by("-month")[:36])
