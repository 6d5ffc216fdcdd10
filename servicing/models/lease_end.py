"""The end of a lease (issue 19, helper eot): the title-transfer task (过户) after the buyout and
the return of a residual-value lease's car (inspection, excess wear, remarketing).

A mortgaged 售后回租 is released through the loan's `MortgageRelease` task instead (解押): the
customer already holds the title.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.leases import LeaseAsset

MONEY = {"max_digits": 18, "decimal_places": 2}


class TitleTransferStatus(models.TextChoices):
    PENDING = "pending", _("待过户")
    DONE = "done", _("已过户")
    CANCELLED = "cancelled", _("已撤销")


class LeaseTitleTransfer(models.Model):
    """Transfer the car's registration from the lessor to the customer (过户) once the last rent
    and the 留购价 are paid (or the lease is terminated and settled)."""

    asset = models.OneToOneField(
        LeaseAsset, verbose_name=_("租赁资产"), on_delete=models.PROTECT,
        related_name="title_transfer",
    )  # fmt: skip
    status = models.CharField(
        _("状态"), max_length=10, choices=TitleTransferStatus.choices,
        default=TitleTransferStatus.PENDING,
    )  # fmt: skip
    requested_on = models.DateField(_("发起营业日"))
    done_on = models.DateField(_("完成日"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("过户任务")
        verbose_name_plural = _("过户任务")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TitleTransferStatus.values)
                & (Q(status="done", done_on__isnull=False) | ~Q(status="done")),
                name="lease_title_transfer_done_dated",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.status}"


class LeaseReturn(models.Model):
    """A residual-value lease's car handed back at maturity: the inspection, the excess-wear
    charge added to the last rent, and the remarketing sale whose proceeds go to the lease as a
    (maker-checked) manual receipt."""

    asset = models.OneToOneField(
        LeaseAsset,
        verbose_name=_("租赁资产"),
        on_delete=models.PROTECT,
        related_name="lease_return",
    )
    returned_on = models.DateField(_("退车日"))
    mileage_km = models.PositiveIntegerField(_("里程（公里）"))
    inspection_notes = models.TextField(_("验车记录"))
    excess_wear_charge = models.DecimalField(_("超额损耗费"), **MONEY)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sold_on = models.DateField(_("处置日"), null=True, blank=True)
    sale_buyer = models.CharField(_("买受人"), max_length=200, blank=True)
    sale_proceeds = models.DecimalField(_("处置价款"), null=True, blank=True, **MONEY)
    proceeds_repayment_id = models.BigIntegerField(_("处置价款入账"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("退车与处置")
        verbose_name_plural = _("退车与处置")
        constraints = [
            models.CheckConstraint(
                condition=Q(excess_wear_charge__gte=0)
                & (Q(sale_proceeds__isnull=True) | Q(sale_proceeds__gt=0, sold_on__isnull=False)),
                name="lease_return_amounts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.returned_on}"


__all__ = ["LeaseReturn", "LeaseTitleTransfer", "TitleTransferStatus"]
