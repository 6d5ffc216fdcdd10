"""The nightly settlement (日结) bookkeeping: one `BatchRun` per business date, one `StepRun` per
registered step, one `ChunkRun` per (step, loan-id range).

A chunk record is a lease: `owner` names the worker process that claimed it and `heartbeat_at`
is refreshed while it works. A chunk still "running" whose heartbeat is older than the lease
(`EOD_LEASE_SECONDS`) is stale: the batch itself claims it again and re-dispatches it (see
servicing.eod.runner). A chunk's work and its "succeeded" mark commit in ONE transaction, and
the mark is conditional on still owning the lease, so a chunk's effect lands exactly once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    PENDING = "pending", _("待运行")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class BatchRun(models.Model):
    business_date = models.DateField(_("营业日"), unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    triggered_by = models.CharField(_("发起人"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    advanced_to = models.DateField(_("推进至营业日"), null=True, blank=True)
    # Catching up: after this date closes, the batch goes on with the next one up to here.
    catch_up_to = models.DateField(_("追赶至营业日"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("日结批次")
        verbose_name_plural = _("日结批次")
        ordering = ["-business_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RunStatus]), name="eod_batch_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"EOD {self.business_date} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class StepRun(models.Model):
    batch = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("步骤"), max_length=40)
    position = models.PositiveSmallIntegerField(_("顺序"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("日结步骤")
        verbose_name_plural = _("日结步骤")
        ordering = ["batch_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "code"], name="eod_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch.business_date} {self.code} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ChunkRun(models.Model):
    step = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="chunks")
    chunk_no = models.PositiveIntegerField(_("分片号"))
    # Loan ids lo..hi inclusive (0..0 for a step that is not split by loans).
    lo_id = models.BigIntegerField(_("起始贷款号"))
    hi_id = models.BigIntegerField(_("结束贷款号"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    owner = models.CharField(_("租约持有者"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    # the throttle's pause after this chunk committed (servicing/eod/throttle.py): the batch
    # yielding to online traffic
    pause_ms = models.PositiveIntegerField(_("让行暂停（毫秒）"), default=0)

    class Meta:
        verbose_name = _("日结分片")
        verbose_name_plural = _("日结分片")
        ordering = ["step_id", "chunk_no"]
        constraints = [
            models.UniqueConstraint(fields=["step", "chunk_no"], name="eod_chunk_unique"),
            models.CheckConstraint(
                condition=Q(hi_id__gte=models.F("lo_id")), name="eod_chunk_range"
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="eod_chunk_lease")]

    def __str__(self) -> str:
        return f"{self.step_id}#{self.chunk_no} [{self.lo_id}, {self.hi_id}] {self.status}"


class LedgerComponent(models.TextChoices):
    """What the nightly reconciliation compares, per loan: a stored figure and the ledger."""

    PRINCIPAL = "principal", _("本金（贷款账户）")
    SCHEDULE_PRINCIPAL = "schedule_principal", _("本金（还款计划）")
    INTEREST = "interest", _("利息")
    FEE = "fee", _("费用")
    PENALTY = "penalty", _("罚息")
    SUSPENSE = "suspense", _("溢缴款")
    LEASE_UNEARNED = "lease_unearned", _("未实现融资收益")
    LEASE_RECEIVABLE = "lease_receivable", _("未到期租赁收款额")


class LedgerBreak(models.Model):
    """A difference the nightly reconciliation found between a loan's stored figure and its
    ledger balance (对账差异). Kept when resolved (`resolved_on`: the close that found them
    equal again), so the history of breaks stays."""

    business_date = models.DateField(_("营业日"))
    loan = models.ForeignKey(
        "servicing.Loan", on_delete=models.PROTECT, related_name="ledger_breaks"
    )
    component = models.CharField(_("项目"), max_length=20, choices=LedgerComponent.choices)
    stored = models.DecimalField(_("账户记录"), max_digits=18, decimal_places=2)
    ledger = models.DecimalField(_("总账余额"), max_digits=18, decimal_places=2)
    resolved_on = models.DateField(_("已平营业日"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["-business_date", "loan_id", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "loan", "component"], name="ledger_break_unique"
            ),
            models.CheckConstraint(
                condition=~Q(stored=models.F("ledger")), name="ledger_break_is_a_difference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.loan_id} {self.component}"

    @property
    def difference(self):
        return self.stored - self.ledger


class FinanceTaskKind(models.TextChoices):
    LEDGER_RECONCILIATION = "ledger_reconciliation", _("贷款账户与总账对账不符")


class FinanceTask(models.Model):
    """Work for the finance team raised by the batch; one per (kind, business date), with the
    list of what to look at in `detail`."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DONE = "done", _("已处理")

    kind = models.CharField(_("类型"), max_length=32, choices=FinanceTaskKind.choices)
    business_date = models.DateField(_("营业日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("财务任务")
        verbose_name_plural = _("财务任务")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "business_date"], name="finance_task_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.business_date}"


__all__ = [
    "BatchRun",
    "ChunkRun",
    "FinanceTask",
    "FinanceTaskKind",
    "LedgerBreak",
    "LedgerComponent",
    "RunStatus",
    "StepRun",
]
