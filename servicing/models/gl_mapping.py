"""The product → GL mapping and the regulatory report files generated per period.

The ledger posts to the chart's accounts by posting role (`AccountCode`: what a line IS for the
loan — principal, interest income …); the sub-ledger checks (reconciliation, loan balances,
provisions) read those roles. The general ledger a finance department files needs finer
accounts per product (应收贷款本金—新能源车…). A `GlMapping` row says: from `effective_from`, a
line of `role` for a loan of this product (by product code, else by vehicle kind, else for all
products) belongs to ledger account `account` in the GL. No row: the role's own account (the
fixed chart). Rows are never edited: a change is a new row with a later date, maker-checked
(docs/decisions/0013-product-gl-mapping.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GlMappingStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    ACTIVE = "active", _("已生效")
    REJECTED = "rejected", _("已驳回")


class GlMapping(models.Model):
    role = models.ForeignKey(
        "servicing.LedgerAccount",
        verbose_name=_("记账角色（默认科目）"),
        to_field="code",
        db_column="role_code",
        on_delete=models.PROTECT,
        related_name="+",
    )
    # at most one of the two names the product; neither: every product
    product_code = models.CharField(_("产品代码"), max_length=40, blank=True)
    vehicle_kind = models.CharField(_("产品线"), max_length=20, blank=True)
    account = models.ForeignKey(
        "servicing.LedgerAccount",
        verbose_name=_("总账科目"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_from = models.DateField(_("生效营业日"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=GlMappingStatus.choices,
        default=GlMappingStatus.PENDING,
    )
    reason = models.CharField(_("变更原因"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("产品总账科目映射")
        verbose_name_plural = _("产品总账科目映射")
        ordering = ["role_id", "product_code", "vehicle_kind", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "rejected"]),
                name="gl_mapping_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(product_code="") | Q(vehicle_kind=""),
                name="gl_mapping_one_product_key",
            ),
            # maker-checker held by the database: an active row was approved by someone else
            models.CheckConstraint(
                condition=~Q(status="active")
                | (Q(approved_by__isnull=False) & ~Q(approved_by=models.F("created_by"))),
                name="gl_mapping_checker_not_maker",
            ),
            # one active target per key and date: the resolution is never ambiguous
            models.UniqueConstraint(
                fields=["role", "product_code", "vehicle_kind", "effective_from"],
                condition=Q(status="active"),
                name="gl_mapping_one_active_per_day",
            ),
        ]

    def __str__(self) -> str:
        key = self.product_code or self.vehicle_kind or "*"
        return f"{self.role_id}/{key} → {self.account_id} @{self.effective_from}"


class RegulatoryReportFile(models.Model):
    """A regulatory report generated for a month: who, when, the date its figures stand at.
    The period's close checklist asks for every report of the month (the latest generation)."""

    month = models.DateField(_("会计期间"))
    report = models.CharField(_("报表"), max_length=32)
    as_of = models.DateField(_("口径日"))
    rows = models.PositiveIntegerField(_("行数"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    generated_at = models.DateTimeField(_("生成时间"), auto_now=True)

    class Meta:
        verbose_name = _("监管报表生成记录")
        verbose_name_plural = _("监管报表生成记录")
        constraints = [
            models.UniqueConstraint(fields=["month", "report"], name="regulatory_report_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="regulatory_report_month"),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.month:%Y-%m}"


__all__ = ["GlMapping", "GlMappingStatus", "RegulatoryReportFile"]
