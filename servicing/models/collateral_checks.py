"""The monthly book checks (issue #20): each loan's external facts in one row
(`LoanExternalFacts`: phone status, bureau re-check, current vehicle value and LTV), the
month's vehicle price index as the valuation provider gave it (`VehiclePriceIndex`) and one
valuation snapshot per loan and month (`LoanValuation`, for the LTV-by-vintage report).

Written by the nightly steps phone_status_check, bureau_recheck and revaluation
(servicing.eod.steps) and by the collections contact flow's fresh phone check; read by the
early-warning step and the provision run. docs/collateral-checks.md.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.loans import Loan

__all__ = ["LoanExternalFacts", "LoanValuation", "PhoneStatus", "VehiclePriceIndex"]

MONEY = {"max_digits": 18, "decimal_places": 2}
RATIO = {"max_digits": 9, "decimal_places": 4}


class PhoneStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    DEACTIVATED = "deactivated", _("停机或空号")
    OWNER_CHANGED = "owner_changed", _("已换号")


class LoanExternalFacts(models.Model):
    loan = models.OneToOneField(
        Loan, primary_key=True, on_delete=models.PROTECT, related_name="external_facts"
    )
    phone_status = models.CharField(
        _("号码状态"), max_length=16, choices=PhoneStatus.choices, blank=True, db_default=""
    )
    phone_checked_on = models.DateField(_("号码核查营业日"), null=True, blank=True)
    bureau_deteriorated = models.BooleanField(_("征信恶化"), db_default=False)
    bureau_checked_on = models.DateField(_("征信复查营业日"), null=True, blank=True)
    # the score of the first re-check (the baseline a drop is measured from) and the latest
    bureau_score_baseline = models.IntegerField(_("征信评分基准"), null=True, blank=True)
    bureau_score = models.IntegerField(_("最近征信评分"), null=True, blank=True)
    vehicle_value = models.DecimalField(_("车辆当前估值"), null=True, blank=True, **MONEY)
    ltv_current = models.DecimalField(_("当前贷款价值比"), null=True, blank=True, **RATIO)
    valued_on = models.DateField(_("估值营业日"), null=True, blank=True)

    class Meta:
        verbose_name = _("贷后外部核查结果")
        verbose_name_plural = _("贷后外部核查结果")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone_status__in=["", *PhoneStatus.values]),
                name="servicing_loanexternalfacts_phone_status",
            ),
            models.CheckConstraint(
                condition=Q(phone_status="") | Q(phone_checked_on__isnull=False),
                name="servicing_loanexternalfacts_phone_dated",
            ),
            models.CheckConstraint(
                condition=(
                    Q(vehicle_value__isnull=True, ltv_current__isnull=True)
                    | Q(vehicle_value__gt=0, ltv_current__gte=0, valued_on__isnull=False)
                ),
                name="servicing_loanexternalfacts_valuation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}"


class VehiclePriceIndex(models.Model):
    """One row of the month's price index: the residual value of a car of `segment`, `age_months`
    old, as a share of its new price (region "" is the national table; a region's own row, where
    the provider gives one, replaces it)."""

    month = models.DateField(_("月份"))
    segment = models.CharField(_("车辆类型"), max_length=20)
    age_months = models.PositiveSmallIntegerField(_("车龄（月）"))
    region = models.CharField(_("地区"), max_length=30, blank=True)
    factor = models.DecimalField(_("残值系数"), max_digits=9, decimal_places=6)

    class Meta:
        verbose_name = _("二手车价格指数")
        verbose_name_plural = _("二手车价格指数")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "segment", "age_months", "region"],
                name="servicing_vehiclepriceindex_unique",
            ),
            models.CheckConstraint(
                condition=Q(factor__gt=0) & Q(factor__lte=2),
                name="servicing_vehiclepriceindex_factor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.segment} {self.age_months} {self.region}"


class LoanValuation(models.Model):
    """A loan's valuation of one month (the revaluation step writes each month once)."""

    month = models.DateField(_("月份"))
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="valuations")
    vintage = models.DateField(_("放款月"))
    principal_outstanding = models.DecimalField(_("剩余本金"), **MONEY)
    vehicle_value = models.DecimalField(_("车辆估值"), **MONEY)
    ltv = models.DecimalField(_("贷款价值比"), **RATIO)

    class Meta:
        verbose_name = _("月度车辆估值")
        verbose_name_plural = _("月度车辆估值")
        constraints = [
            models.UniqueConstraint(fields=["month", "loan"], name="servicing_loanvaluation_once"),
            models.CheckConstraint(
                condition=Q(vehicle_value__gt=0, ltv__gte=0, principal_outstanding__gte=0),
                name="servicing_loanvaluation_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.month:%Y-%m}"
