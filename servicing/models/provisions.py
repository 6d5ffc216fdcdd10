"""Expected credit loss (减值准备, CAS 22 / IFRS 9): one `ProvisionRun` per month, the ECL of
every open loan in it (`LoanProvision`) and the probabilities of default it used per segment
(`ProvisionPd`). How the figures are made: docs/decisions/0012-expected-credit-loss.md.

A run is computed (its rows may be computed again while it is not posted) and then posted: one
ledger entry moves the loan-loss allowance to the run's closing figure. A posted run never
changes; the month's posting is unique by its idempotency key, so a re-run posts nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}


class ProvisionStatus(models.TextChoices):
    COMPUTED = "computed", _("已计算，待过账")
    POSTED = "posted", _("已过账")


class ProvisionRun(models.Model):
    # the first day of the month the run belongs to: one run per month
    month = models.DateField(_("月份"), unique=True)
    as_of = models.DateField(_("计量营业日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ProvisionStatus.choices, default=ProvisionStatus.COMPUTED
    )
    # the last posted run before this one: where the roll-forward and the stage matrix start
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the policy values the run used (overlay, weights, LGD parameters, fallback PDs), as text
    parameters = models.JSONField(_("计量参数"), default=dict)
    overlay = models.DecimalField(_("前瞻性调整系数"), **RATE)
    loans = models.PositiveIntegerField(_("贷款笔数"), default=0)
    ead = models.DecimalField(_("风险敞口合计"), default=0, **MONEY)
    ecl = models.DecimalField(_("预期信用损失合计"), default=0, **MONEY)
    # the allowance roll-forward, fixed when the run is posted (a preview until then)
    opening = models.DecimalField(_("期初余额"), default=0, **MONEY)
    new_loans = models.DecimalField(_("新增贷款"), default=0, **MONEY)
    transfers = models.DecimalField(_("阶段迁移"), default=0, **MONEY)
    remeasurement = models.DecimalField(_("重新计量"), default=0, **MONEY)
    derecognised = models.DecimalField(_("终止确认转回"), default=0, **MONEY)
    written_off = models.DecimalField(_("核销使用"), default=0, **MONEY)
    movement = models.DecimalField(_("本期计提（转回为负）"), default=0, **MONEY)
    journal_entry_id = models.BigIntegerField(_("过账分录"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    computed_by = models.CharField(_("计算人"), max_length=150, blank=True)
    posted_at = models.DateTimeField(_("过账时间"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("减值准备计提批次")
        verbose_name_plural = _("减值准备计提批次")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["computed", "posted"]), name="provision_run_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="computed") | Q(posted_at__isnull=False),
                name="provision_run_posted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"


class LoanProvision(models.Model):
    """One open loan's ECL in a run (written set-based; loan_id is a plain id like snapshots)."""

    # no index of its own: the unique (run, loan_id) serves lookups by run (one index fewer to
    # write for each of a million rows)
    run = models.ForeignKey(
        ProvisionRun, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    loan_id = models.BigIntegerField(_("贷款账户"))
    stage = models.PositiveSmallIntegerField(_("阶段"))
    product_line = models.CharField(_("产品线"), max_length=20)
    tier = models.CharField(_("客群分层"), max_length=1)
    dpd = models.PositiveIntegerField(_("逾期天数"))
    classification = models.CharField(_("五级分类"), max_length=16)
    remaining_months = models.PositiveSmallIntegerField(_("剩余期限（月）"))
    pd = models.DecimalField(_("违约概率"), default=0, **RATE)
    lgd = models.DecimalField(_("违约损失率"), **RATE)
    ead = models.DecimalField(_("违约风险敞口"), **MONEY)
    ecl = models.DecimalField(_("预期信用损失"), default=0, **MONEY)
    # stage 3: a month's interest on the net carrying amount (EAD − ECL) at the schedule rate,
    # recorded for the disclosure; the nightly accrual itself is unchanged (see the decision)
    net_interest = models.DecimalField(_("按净额计算的利息"), default=0, **MONEY)

    class Meta:
        verbose_name = _("贷款减值准备")
        verbose_name_plural = _("贷款减值准备")
        constraints = [
            models.UniqueConstraint(fields=["run", "loan_id"], name="loan_provision_unique"),
            models.CheckConstraint(condition=Q(stage__in=[1, 2, 3]), name="loan_provision_stage"),
            models.CheckConstraint(condition=Q(ecl__gte=0), name="loan_provision_ecl_gte_0"),
        ]
        indexes = [models.Index(fields=["loan_id", "run"], name="loan_provision_loan")]

    def __str__(self) -> str:
        return f"{self.loan_id} stage {self.stage} {self.ecl}"


class ProvisionPd(models.Model):
    """The 12-month PD a run used for one segment (product line × tier × stage) and its source:
    the book's own history when the cohort is large enough, else the policy's fallback table."""

    class Source(models.TextChoices):
        HISTORY = "history", _("历史数据")
        FALLBACK = "fallback", _("兜底参数")

    run = models.ForeignKey(ProvisionRun, on_delete=models.CASCADE, related_name="pds")
    product_line = models.CharField(_("产品线"), max_length=20)
    tier = models.CharField(_("客群分层"), max_length=1)
    stage = models.PositiveSmallIntegerField(_("阶段"))
    cohort = models.PositiveIntegerField(_("观察样本数"))
    defaults = models.PositiveIntegerField(_("违约数"))
    pd12 = models.DecimalField(_("12 个月违约概率"), **RATE)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("违约概率")
        verbose_name_plural = _("违约概率")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "product_line", "tier", "stage"], name="provision_pd_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_line}/{self.tier}/{self.stage} {self.pd12}"


__all__ = ["LoanProvision", "ProvisionPd", "ProvisionRun", "ProvisionStatus"]
