"""Read queries for the nightly-settlement page: each step's progress, the ledger breaks and the
finance task of a batch, the history of previous nights."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils.translation import gettext_lazy as _

from servicing.eod import runner
from servicing.eod.registry import steps_ordered
from servicing.loan_rules import CLOSED_STATUSES
from servicing.models.eod import (
    BatchRun,
    ChunkRun,
    FinanceTask,
    FinanceTaskKind,
    LedgerBreak,
    RunStatus,
)
from servicing.models.loans import Loan

# A step's result figures as people read them: label and unit ("笔" counted, "元" an amount,
# "个" ledger accounts, "家" dealers, "份" statements).
COUNT, YUAN, ITEMS, DEALERS, COPIES = "count", "yuan", "items", "dealers", "copies"
UNIT_WORDS = {COUNT: _("笔"), YUAN: _("元"), ITEMS: _("个"), DEALERS: _("家"), COPIES: _("份")}
RESULT_LABELS = {
    "loans": (_("处理贷款"), COUNT),
    "interest": (_("计提利息"), YUAN),
    "off_balance_interest": (_("表外利息"), YUAN),
    "fees": (_("计提费用"), YUAN),
    "fallback": (_("补算贷款"), COUNT),
    "rows_due": (_("到期期供"), COUNT),
    "suspense_applied": (_("挂账冲抵"), COUNT),
    "delinquent": (_("逾期贷款"), COUNT),
    "penalty": (_("计提罚息"), YUAN),
    "penalty_rows": (_("计罚息期供"), COUNT),
    "overdue_rows": (_("逾期期供"), COUNT),
    "status_changes": (_("状态变更"), COUNT),
    "charged_off": (_("核销"), COUNT),
    "assigned": (_("分配催收案件"), COUNT),
    "opened": (_("新开催收案件"), COUNT),
    "requeued": (_("重新排队"), COUNT),
    "closed": (_("结案"), COUNT),
    "ptp_checked": (_("核查承诺还款"), COUNT),
    "ptp_broken": (_("承诺还款违约"), COUNT),
    "open_cases": (_("在催案件"), COUNT),
    "candidates": (_("预警候选贷款"), COUNT),
    "evaluated": (_("已评估"), COUNT),
    "hits": (_("命中规则"), COUNT),
    "raised": (_("新增预警"), COUNT),
    "accounts": (_("科目"), ITEMS),
    "day_debit": (_("当日借方"), YUAN),
    "day_credit": (_("当日贷方"), YUAN),
    "total_debit": (_("累计借方"), YUAN),
    "trial_balance": (_("试算差额"), YUAN),
    "repriced": (_("已重定价"), COUNT),
    "unchanged": (_("利率未变"), COUNT),
    "subsidised": (_("贴息期内未变"), COUNT),
    "skipped": (_("未重定价"), COUNT),
    "finished": (_("已到期结束"), COUNT),
    "no_lpr": (_("缺少 LPR"), COUNT),
    "instructions": (_("扣款指令"), COUNT),
    "mortgage_overdue": (_("抵押办理逾期"), COUNT),
    "gps_overdue": (_("GPS 安装逾期"), COUNT),
    "insurance_expiring": (_("保险即将到期"), COUNT),
    "dealers": (_("评级经销商"), DEALERS),
    "kpis": (_("记录月度指标的经销商"), DEALERS),
    "clawbacks": (_("佣金追回"), COUNT),
    "statements": (_("佣金对账单"), COPIES),
    "queued": (_("发送提醒"), COUNT),
    "differences": (_("对账差异"), COUNT),
    "loans_differing": (_("有差异的贷款"), COUNT),
    "open_breaks": (_("未平差异"), COUNT),
    "resolved": (_("已平差异"), COUNT),
    "snapshots": (_("快照"), COUNT),
}


def result_rows(result: dict | None) -> list[dict]:
    """A step's figures as rows (label, value, unit); codes and ids stay out of sight."""
    result = dict(result or {})
    for nested in ("prepare", "finalize"):
        if isinstance(result.get(nested), dict):
            result.update(result.pop(nested))
    rows = []
    for key, value in result.items():
        if key not in RESULT_LABELS or isinstance(value, bool) or value is None:
            continue
        label, unit = RESULT_LABELS[key]
        shown = f"{Decimal(str(value)):,.2f}" if unit == YUAN else f"{int(value):,}"
        rows.append(
            {
                "key": key,
                "label": label,
                "value": shown,
                "unit": unit,
                "unit_word": UNIT_WORDS[unit],
            }
        )
    return rows


def loans_to_close_count() -> int:
    """The loans the batch will go through: every loan not closed."""
    return Loan.objects.exclude(status__in=CLOSED_STATUSES).count()


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
                "result": result_rows(run.result if run else None),
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


def batch_pauses(batch: BatchRun | None) -> dict | None:
    """How often and how long the batch's workers paused for online traffic (the throttle's
    pauses after their chunks), or None without a batch."""
    if batch is None:
        return None
    row = ChunkRun.objects.filter(step__batch=batch, pause_ms__gt=0).aggregate(
        count=Count("id"), ms=Sum("pause_ms")
    )
    return {"count": row["count"], "seconds": (row["ms"] or 0) / 1000}


def batch_latest() -> BatchRun | None:
    return BatchRun.objects.order_by("-business_date").first()


def batch_history(limit: int = 30) -> list[BatchRun]:
    return list(BatchRun.objects.order_by("-business_date")[:limit])


def stale_chunk_count() -> int:
    return len(runner.chunks_stale())
