"""The channel risk grade: the grading policy, grades, alerts and the monthly KPIs they read."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.models.dealers import Dealer


class GradingPolicy(models.Model):
    """Weights, good/bad bounds, alert thresholds and grade cut-offs; one active version.

    metrics: {name: {"weight": n, "good": x, "bad": y, "alert": z}} — a metric scores 100 at
    `good` and 0 at `bad` (linear between, clamped); an alert fires when it is on the bad side
    of `alert`. cutoffs: {"A": 85, "B": 70, "C": 50}: the lowest score of each grade; below C is D.
    """

    version = models.PositiveIntegerField(_("版本"), unique=True)
    active = models.BooleanField(_("生效"), default=False)
    metrics = models.JSONField(_("指标与权重"))
    cutoffs = models.JSONField(_("等级分数线"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道评级策略")
        verbose_name_plural = _("渠道评级策略")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_grading_policy"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class DealerGrade(models.Model):
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="grades"
    )
    as_of = models.DateField(_("评级日"))
    policy = models.ForeignKey(GradingPolicy, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("渠道评级"), max_length=1, choices=Grade.choices)
    inputs = models.JSONField(_("输入指标"))
    contributions = models.JSONField(_("各指标得分"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道评级")
        verbose_name_plural = _("渠道评级")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "as_of"], name="one_grade_per_dealer_day")
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.as_of} {self.grade}"


class DealerAlert(models.Model):
    class Kind(models.TextChoices):
        GRADE_DROP = "grade_drop", _("评级下调")
        METRIC = "metric", _("指标越限")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    metric = models.CharField(_("指标"), max_length=50, blank=True)
    as_of = models.DateField(_("日期"))
    message = models.CharField(_("内容"), max_length=300)
    data = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道预警")
        verbose_name_plural = _("渠道预警")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "as_of", "kind", "metric"], name="one_alert_per_event"
            )
        ]

    def __str__(self) -> str:
        return self.message


class DealerMonthlyKpi(models.Model):
    """Figures origination and servicing hand in for one dealer and month."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="kpis"
    )
    month = models.DateField(_("月份"))
    figures = models.JSONField(_("指标"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("经销商月度指标")
        verbose_name_plural = _("经销商月度指标")
        ordering = ["dealer_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="one_kpi_row_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"
