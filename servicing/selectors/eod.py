"""Read queries for the nightly-settlement page: each step's progress, the ledger breaks and the
finance task of a batch, the history of previous nights."""

from __future__ import annotations

from django.db.models import Count, F

from servicing.eod import runner
from servicing.eod.registry import steps_ordered
from servicing.models.eod import BatchRun, FinanceTask, FinanceTaskKind, LedgerBreak, RunStatus


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
