"""Saved quotes: the deal asked for, every figure priced, and the product version used (a
quote keeps its version and figures after a later publish)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.models.products import (
    DayCountChoice,
    ProductVersion,
    RepaymentMethod,
    Tier,
    VehicleKind,
    VehicleUse,
)


class Quote(models.Model):
    """A saved quote: the deal asked for, every figure priced, and the product version used."""

    reference = models.UUIDField(_("报价编号"), default=uuid.uuid4, unique=True, editable=False)
    product_version = models.ForeignKey(
        ProductVersion, verbose_name=_("产品版本"), on_delete=models.PROTECT, related_name="quotes"
    )
    created_at = models.DateTimeField(_("报价时间"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报价人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The deal
    vehicle_kind = models.CharField(_("车辆类型"), max_length=20, choices=VehicleKind.choices)
    vehicle_use = models.CharField(_("车辆用途"), max_length=20, choices=VehicleUse.choices)
    vehicle_price = models.DecimalField(_("车价"), max_digits=18, decimal_places=2)
    first_registration_date = models.DateField(_("首次登记日期"), null=True, blank=True)
    down_payment = models.DecimalField(_("首付"), max_digits=18, decimal_places=2)
    down_payment_ratio = models.DecimalField(_("首付比例"), max_digits=5, decimal_places=4)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    method = models.CharField(_("还款方式"), max_length=20, choices=RepaymentMethod.choices)
    balloon_ratio = models.DecimalField(
        _("尾款比例"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    balloon_amount = models.DecimalField(_("尾款"), max_digits=18, decimal_places=2, default="0.00")
    tier = models.CharField(_("客群分层"), max_length=1, choices=Tier.choices)
    add_ons = models.JSONField(_("附加品融资"), default=list, blank=True)
    value_date = models.DateField(_("起息日"))
    # The figures
    vehicle_amount_financed = models.DecimalField(_("车款融资额"), max_digits=18, decimal_places=2)
    ltv = models.DecimalField(_("贷款价值比"), max_digits=5, decimal_places=4)
    add_ons_total = models.DecimalField(_("附加品融资额"), max_digits=18, decimal_places=2)
    fees = models.JSONField(_("费用明细"), default=list, blank=True)
    financed_fees = models.DecimalField(_("融资费用"), max_digits=18, decimal_places=2)
    upfront_fees = models.DecimalField(_("首付时缴纳的费用"), max_digits=18, decimal_places=2)
    amount_financed = models.DecimalField(_("融资额"), max_digits=18, decimal_places=2)
    customer_rate = models.DecimalField(_("客户利率"), max_digits=7, decimal_places=6)
    lender_rate = models.DecimalField(_("资金方收益率"), max_digits=7, decimal_places=6)
    subsidy_amount = models.DecimalField(
        _("厂商贴息金额"), max_digits=18, decimal_places=2, default="0.00"
    )
    lpr_rate = models.DecimalField(_("LPR"), max_digits=7, decimal_places=6, null=True, blank=True)
    lpr_effective_date = models.DateField(_("LPR 生效日期"), null=True, blank=True)
    apr = models.DecimalField(_("年化利率（IRR 法）"), max_digits=7, decimal_places=4)
    apr_method = models.CharField(_("年化利率计算方法"), max_length=60)
    penalty_rate = models.DecimalField(_("罚息利率"), max_digits=7, decimal_places=6)
    day_count = models.CharField(_("计息基础"), max_length=10, choices=DayCountChoice.choices)
    monthly_payment = models.DecimalField(_("首期月供"), max_digits=18, decimal_places=2)
    total_interest = models.DecimalField(_("总利息"), max_digits=18, decimal_places=2)
    total_payable = models.DecimalField(_("还款总额"), max_digits=18, decimal_places=2)
    schedule = models.JSONField(_("还款计划"), default=list)

    class Meta:
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(vehicle_price__gt=0), name="quote_price_positive"),
            models.CheckConstraint(
                condition=Q(down_payment__gte=0) & Q(down_payment__lt=models.F("vehicle_price")),
                name="quote_down_payment_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_financed__gt=0), name="quote_amount_financed_positive"
            ),
            models.CheckConstraint(
                condition=Q(
                    amount_financed=models.F("vehicle_amount_financed")
                    + models.F("add_ons_total")
                    + models.F("financed_fees")
                ),
                name="quote_amount_financed_sum",
            ),
            models.CheckConstraint(
                condition=Q(customer_rate__lte=models.F("lender_rate")),
                name="quote_customer_rate_not_above_lender",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('报价')} {str(self.reference)[:8]}"
