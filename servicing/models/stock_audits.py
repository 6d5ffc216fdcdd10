"""Stock audits (盘库) of a dealer's floor-plan stock: scheduled or random, an auditor records
each financed VIN seen or not seen with a photo; a car not seen, or sold without its advance
paid off, is sold out of trust (违规售车)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.floorplan import FloorplanAdvance


class StockAuditKind(models.TextChoices):
    SCHEDULED = "scheduled", _("定期盘库")
    RANDOM = "random", _("突击盘库")


class StockAuditStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待盘库")
    IN_PROGRESS = "in_progress", _("盘库中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class StockAudit(models.Model):
    line = models.ForeignKey(
        "origination.FloorplanLine",
        verbose_name=_("库存融资额度"),
        on_delete=models.PROTECT,
        related_name="stock_audits",
    )
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=StockAuditKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=StockAuditStatus.choices,
        default=StockAuditStatus.SCHEDULED,
        db_index=True,
    )
    scheduled_on = models.DateField(_("计划盘库日"))
    performed_on = models.DateField(_("实际盘库日"), null=True, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("盘库人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("安排人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sold_out_of_trust_count = models.PositiveIntegerField(_("违规售车数"), default=0)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("盘库")
        verbose_name_plural = _("盘库")
        ordering = ["-scheduled_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=StockAuditKind.values), name="stock_audit_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StockAuditStatus.values), name="stock_audit_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | (Q(performed_on__isnull=False) & Q(auditor__isnull=False)),
                name="stock_audit_completed_is_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.scheduled_on}"


class StockAuditItem(models.Model):
    """One financed car the auditor looks for; `seen` is empty until recorded."""

    audit = models.ForeignKey(
        StockAudit, verbose_name=_("盘库"), on_delete=models.CASCADE, related_name="items"
    )
    advance = models.ForeignKey(
        FloorplanAdvance,
        verbose_name=_("库存融资放款"),
        on_delete=models.PROTECT,
        related_name="audit_items",
    )
    vin = models.CharField(_("车架号"), max_length=17)
    seen = models.BooleanField(_("在库"), null=True, blank=True)
    # A private upload, stored as the other uploads are (path, hash, type, size).
    photo_name = models.CharField(_("照片文件名"), max_length=200, blank=True)
    photo_path = models.CharField(max_length=300, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    photo_content_type = models.CharField(max_length=50, blank=True)
    photo_size = models.PositiveIntegerField(_("大小"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    # Not seen, or sold without the advance paid off (违规售车).
    sold_out_of_trust = models.BooleanField(_("违规售车"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("盘库明细")
        verbose_name_plural = _("盘库明细")
        ordering = ["audit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "advance"], name="stock_audit_item_once"),
            models.CheckConstraint(
                condition=Q(seen__isnull=False) | Q(recorded_at__isnull=True),
                name="stock_audit_item_recorded_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.vin}"


__all__ = ["StockAudit", "StockAuditItem", "StockAuditKind", "StockAuditStatus"]
