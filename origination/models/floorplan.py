"""Floor-plan lines (库存融资额度): a dealer's wholesale credit line for its stock.

The line is a credit decision (limit within the underwriter's authority), so it lives in
origination; the advances drawn on it, their interest, curtailments and payoffs are servicing's
(servicing.models.floorplan) and reach the line by its id.

Invariants the database holds:

* at most one open (active or frozen) line per dealer;
* the limit and the rate are positive; a frozen line says why; an active line was approved;
* the curtailment plan is a JSON list (its stages are checked by the service that writes it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["DEFAULT_CURTAILMENT_PLAN", "FloorplanLine", "FloorplanLineStatus"]

# [age of the stock in days, cumulative percent of the advance due by then]: 10 % at 90 days,
# a further 20 % at 120 and the rest at 180.
DEFAULT_CURTAILMENT_PLAN = [[90, 10], [120, 30], [180, 100]]


def default_curtailment_plan() -> list[list[int]]:
    return [list(stage) for stage in DEFAULT_CURTAILMENT_PLAN]


class FloorplanLineStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    FROZEN = "frozen", _("已冻结")
    CLOSED = "closed", _("已关闭")


class FloorplanLine(models.Model):
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("经销商"),
        on_delete=models.PROTECT,
        related_name="floorplan_lines",
    )
    limit = models.DecimalField(_("授信额度"), max_digits=14, decimal_places=2)
    annual_rate = models.DecimalField(_("年利率"), max_digits=7, decimal_places=6)
    curtailment_plan = models.JSONField(
        _("还款计划（库龄天数，累计比例%）"), default=default_curtailment_plan
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=FloorplanLineStatus.choices,
        default=FloorplanLineStatus.ACTIVE,
        db_index=True,
    )
    frozen_reason = models.TextField(_("冻结原因"), blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    # The OEM tri-party buy-back agreement (厂家回购协议) backing the line.
    oem_buyback_agreement = models.CharField(_("厂家三方回购协议编号"), max_length=64, blank=True)
    oem_buyback_signed_on = models.DateField(_("回购协议签署日"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # Pushed by servicing whenever an advance takes or gives back limit (origination cannot
    # read the advances): funded principal outstanding plus advances not yet funded.
    used_amount = models.DecimalField(_("已用额度"), max_digits=14, decimal_places=2, default=0)
    used_as_of = models.DateTimeField(_("已用额度更新时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("库存融资额度")
        verbose_name_plural = _("库存融资额度")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer"],
                condition=Q(status__in=["active", "frozen"]),
                name="floorplan_one_open_line_per_dealer",
            ),
            models.CheckConstraint(
                condition=Q(status__in=FloorplanLineStatus.values),
                name="floorplan_line_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(limit__gt=0)
                & Q(annual_rate__gt=0)
                & Q(annual_rate__lt=1)
                & Q(used_amount__gte=0),
                name="floorplan_line_figures",
            ),
            models.CheckConstraint(
                condition=~Q(status="frozen") | ~Q(frozen_reason=""),
                name="floorplan_line_frozen_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="active")
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="floorplan_line_active_is_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.limit}"
