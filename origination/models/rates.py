"""Rates and limits quotes are priced against: a version's rate table (term × tier), the loan
prime rate as published, and the regulatory limits (a single row)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.models.products import LprTenor, ProductVersion, Tier, choices_q
from origination.quoting.caps import RegulatoryCaps


class RateTableEntry(models.Model):
    """A rate-table cell: term × customer tier -> annual rate (fixed) or spread over LPR (bps)."""

    version = models.ForeignKey(
        ProductVersion,
        verbose_name=_("产品版本"),
        on_delete=models.CASCADE,
        related_name="rate_entries",
    )
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    tier = models.CharField(_("客群分层"), max_length=1, choices=Tier.choices)
    annual_rate = models.DecimalField(
        _("年利率"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    spread_bps = models.IntegerField(_("LPR 加点（基点）"), null=True, blank=True)

    class Meta:
        verbose_name = _("利率表")
        verbose_name_plural = _("利率表")
        ordering = ["version", "term_months", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "term_months", "tier"], name="rate_table_entry_unique"
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__isnull=False) | Q(spread_bps__isnull=False),
                name="rate_table_entry_has_rate",
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__isnull=True)
                | (Q(annual_rate__gte=0) & Q(annual_rate__lte=1)),
                name="rate_table_entry_rate_range",
            ),
            models.CheckConstraint(condition=choices_q("tier", Tier), name="rate_tier_valid"),
        ]

    def __str__(self) -> str:
        value = self.annual_rate if self.annual_rate is not None else f"LPR+{self.spread_bps}bp"
        return f"{self.term_months}m {self.tier}: {value}"


class LprRate(models.Model):
    """The loan prime rate (贷款市场报价利率) as published, with the date it took effect."""

    tenor = models.CharField(_("期限"), max_length=2, choices=LprTenor.choices)
    rate = models.DecimalField(_("利率"), max_digits=7, decimal_places=6)
    effective_date = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("贷款市场报价利率（LPR）")
        verbose_name_plural = _("贷款市场报价利率（LPR）")
        ordering = ["-effective_date", "tenor"]
        constraints = [
            models.UniqueConstraint(fields=["tenor", "effective_date"], name="lpr_rate_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0) & Q(rate__lt=1), name="lpr_rate_range"),
        ]

    def __str__(self) -> str:
        return f"LPR {self.tenor} {self.rate} @ {self.effective_date}"


class RegulatoryLimits(models.Model):
    """The regulatory limits every quote is checked against (a single row, id = 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    max_term_months = models.PositiveSmallIntegerField(_("最长期限（月）"), default=60)
    max_term_months_used = models.PositiveSmallIntegerField(_("二手车最长期限（月）"), default=36)
    ltv_personal = models.DecimalField(
        _("自用车贷款价值比上限"), max_digits=5, decimal_places=4, default="0.8000"
    )
    ltv_nev_personal = models.DecimalField(
        _("新能源车自用贷款价值比上限"), max_digits=5, decimal_places=4, default="0.8500"
    )
    ltv_commercial = models.DecimalField(
        _("商用车及营运贷款价值比上限"), max_digits=5, decimal_places=4, default="0.7000"
    )
    ltv_nev_commercial = models.DecimalField(
        _("新能源车营运贷款价值比上限"), max_digits=5, decimal_places=4, default="0.7500"
    )
    ltv_used = models.DecimalField(
        _("二手车贷款价值比上限"), max_digits=5, decimal_places=4, default="0.7000"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("监管限额")
        verbose_name_plural = _("监管限额")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="regulatory_limits_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("监管限额"))

    def caps(self) -> RegulatoryCaps:
        return RegulatoryCaps(
            max_term_months=self.max_term_months,
            max_term_months_used=self.max_term_months_used,
            ltv_personal=self.ltv_personal,
            ltv_nev_personal=self.ltv_nev_personal,
            ltv_commercial=self.ltv_commercial,
            ltv_nev_commercial=self.ltv_nev_commercial,
            ltv_used=self.ltv_used,
        )
