"""Read queries for the nightly-settlement pages: batch progress, history, vintage and roll-rate
curves from the daily snapshots, and the collectors' queues."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, Q

from servicing.eod import runner
from servicing.eod.registry import steps_ordered
from servicing.models import (
    BUCKETS,
    BatchRun,
    CollectionCase,
    ContactAttempt,
    FinanceTask,
    FinanceTaskKind,
    LedgerBreak,
    LoanSnapshot,
    RunStatus,
)


def batch_progress(batch: BatchRun | None) -> list[dict]:
    """Each registered step with its run (if any): chunk counts, percent, duration, error."""
    runs = {}
    if batch is not None:
        runs = {s.code: s for s in batch.steps.all()}
        counts: dict[int, dict[str, int]] = {}
        for step_id, status, n in batch.steps.values_list("id", "chunks__status").annotate(
            n=Count("chunks__id")
        ):
            if status:
                counts.setdefault(step_id, {})[status] = n
    result = []
    for step in steps_ordered():
        run = runs.get(step.code)
        c = {s.value: 0 for s in RunStatus}
        if run is not None:
            c.update(counts.get(run.pk, {}))
        total = sum(c.values())
        failed_chunks = (
            list(run.chunks.filter(status=RunStatus.FAILED).order_by("chunk_no")[:5])
            if run is not None and c[RunStatus.FAILED]
            else []
        )
        result.append(
            {
                "code": step.code,
                "label": step.label,
                "doc": step.doc.split("\n\n")[0] if step.doc else "",
                "run": run,
                "status": run.status if run else RunStatus.PENDING,
                "counts": c,
                "total": total,
                "percent": int(100 * c[RunStatus.SUCCEEDED] / total) if total else 0,
                "failed_chunks": failed_chunks,
                "result": [
                    (k, v)
                    for k, v in ((run.result or {}) if run else {}).items()
                    if k not in ("movements", "finalize", "prepare")
                ],
            }
        )
    return result


def ledger_breaks(batch: BatchRun | None, limit: int = 200) -> list[LedgerBreak]:
    """The reconciliation's differences found closing the batch's date (open ones first)."""
    if batch is None:
        return []
    return list(
        LedgerBreak.objects.filter(business_date=batch.business_date)
        .select_related("loan")
        .order_by(F("resolved_on").asc(nulls_first=True), "loan_id", "component")[:limit]
    )


def finance_task(batch: BatchRun | None) -> FinanceTask | None:
    if batch is None:
        return None
    return FinanceTask.objects.filter(
        kind=FinanceTaskKind.LEDGER_RECONCILIATION, business_date=batch.business_date
    ).first()


def batch_latest() -> BatchRun | None:
    return BatchRun.objects.order_by("-business_date").first()


def batch_history(limit: int = 30) -> list[BatchRun]:
    return list(BatchRun.objects.order_by("-business_date")[:limit])


def stale_chunk_count() -> int:
    return len(runner.chunks_stale())


def vintage_curves(*, threshold_dpd: int = 30) -> dict:
    """{vintage month: {mob: share of the vintage's loans at `threshold_dpd`+ DPD}} from the
    latest snapshot of each month on book (a vintage curve, by count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH last AS (
                SELECT vintage, mob, max(business_date) AS d
                  FROM servicing_loansnapshot GROUP BY vintage, mob)
            SELECT s.vintage, s.mob, count(*), count(*) FILTER (WHERE s.dpd >= %s)
              FROM servicing_loansnapshot s
              JOIN last ON last.vintage = s.vintage AND last.mob = s.mob AND last.d = s.business_date
             GROUP BY s.vintage, s.mob ORDER BY s.vintage, s.mob
            """,
            [threshold_dpd],
        )
        curves: dict[dt.date, dict[int, Decimal]] = {}
        for vintage, mob, n, bad in cursor.fetchall():
            curves.setdefault(vintage, {})[mob] = (Decimal(bad) / n).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
    mobs = sorted({m for c in curves.values() for m in c})
    return {"mobs": mobs, "curves": curves}


def roll_rates(*, start: dt.date, end: dt.date) -> dict:
    """Bucket-to-bucket shares of loans between two snapshot dates (a roll-rate matrix)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.bucket, coalesce(b.bucket, 'closed'), count(*)
              FROM servicing_loansnapshot a
              LEFT JOIN servicing_loansnapshot b
                     ON b.loan_id = a.loan_id AND b.business_date = %s
             WHERE a.business_date = %s
             GROUP BY 1, 2
            """,
            [end, start],
        )
        counts: dict[str, dict[str, int]] = {}
        for frm, to, n in cursor.fetchall():
            counts.setdefault(frm, {})[to] = n
    columns = [*BUCKETS, "closed"]
    matrix = {}
    for frm in BUCKETS:
        row = counts.get(frm, {})
        total = sum(row.values())
        matrix[frm] = {
            to: (Decimal(row.get(to, 0)) / total).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
            if total
            else None
            for to in columns
        }
    return {"start": start, "end": end, "columns": columns, "matrix": matrix}


def snapshot_dates() -> list[dt.date]:
    return list(
        LoanSnapshot.objects.order_by("-business_date")
        .values_list("business_date", flat=True)
        .distinct()[:400]
    )


def collections_queue(*, user, queue: str | None = None):
    """The collector's open cases, best likelihood to pay first (a broken promise re-queued
    today comes first)."""
    qs = CollectionCase.objects.filter(status=CollectionCase.Status.OPEN).select_related(
        "loan", "loan__customer", "assigned_to"
    )
    if not user.is_superuser:
        qs = qs.filter(Q(assigned_to=user))
    if queue:
        qs = qs.filter(queue=queue)
    return qs.order_by("-requeued_on", "-score", "-dpd", "id")


def queue_counts(*, user) -> dict[str, int]:
    qs = CollectionCase.objects.filter(status=CollectionCase.Status.OPEN)
    if not user.is_superuser:
        qs = qs.filter(assigned_to=user)
    return dict(qs.values_list("queue").annotate(n=Count("id")).values_list("queue", "n"))


def case_history(case: CollectionCase):
    return ContactAttempt.objects.filter(case__loan=case.loan).select_related("collector")
