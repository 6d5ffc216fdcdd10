"""Electronic invoices (数电发票) the lender issues, and the dated VAT rate table.

Shared by every seller-side invoice: the OEM subsidy claims (贷款服务 at 6 %) now, lease rents
(issue 19) next. An invoice names what it was issued for by `source_type` + `source_id` (one
blue invoice per source, a red-letter one reverses it); the tax platform's number is unique.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}


class VatKind(models.TextChoices):
    LOAN_SERVICE = "loan_service", _("贷款服务")
    TANGIBLE_LEASE = "tangible_lease", _("有形动产融资租赁服务")
    # an insurance agency's commission (经纪代理服务, 现代服务 6 %)
    AGENCY_SERVICE = "agency_service", _("经纪代理服务")


class VatRate(models.Model):
    """The VAT rate of a kind of service from a date (to a date, exclusive, when replaced)."""

    kind = models.CharField(_("应税项目"), max_length=20, choices=VatKind.choices)
    rate = models.DecimalField(_("税率"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("生效日"))
    effective_to = models.DateField(_("失效日"), null=True, blank=True)

    class Meta:
        verbose_name = _("增值税税率")
        verbose_name_plural = _("增值税税率")
        ordering = ["kind", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="vat_rate_once"),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lt=1), name="vat_rate_range"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="vat_rate_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.rate}"


class InvoiceColour(models.TextChoices):
    BLUE = "blue", _("蓝字发票")
    RED = "red", _("红字发票")


class Invoice(models.Model):
    """A 数电发票 as the tax platform accepted it. Amounts of a red-letter invoice are negative."""

    number = models.CharField(_("发票号码"), max_length=20, unique=True)
    colour = models.CharField(_("发票类型"), max_length=4, choices=InvoiceColour.choices)
    issued_on = models.DateField(_("开票日期"))
    source_type = models.CharField(_("来源单据类型"), max_length=32)
    source_id = models.CharField(_("来源单据号"), max_length=64)
    seller_name = models.CharField(_("销售方名称"), max_length=200)
    seller_taxpayer_id = models.CharField(_("销售方纳税人识别号"), max_length=18)
    buyer_name = models.CharField(_("购买方名称"), max_length=200)
    # a company's 统一社会信用代码, or a person's ID number (both are checked before issuing)
    buyer_taxpayer_id = models.CharField(_("购买方纳税人识别号"), max_length=18)
    item_name = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("应税项目"), max_length=20, choices=VatKind.choices)
    amount = models.DecimalField(_("金额（不含税）"), **MONEY)
    rate = models.DecimalField(_("税率"), max_digits=5, decimal_places=4)
    tax = models.DecimalField(_("税额"), **MONEY)
    total = models.DecimalField(_("价税合计"), **MONEY)
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲红原发票"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reversed_by",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子发票")
        verbose_name_plural = _("电子发票")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("amount") + F("tax")), name="invoice_total_is_amount_plus_tax"
            ),
            models.CheckConstraint(
                condition=Q(colour="blue", total__gt=0, reverses__isnull=True)
                | Q(colour="red", total__lt=0, reverses__isnull=False),
                name="invoice_colour_sign",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=Q(colour="blue"),
                name="invoice_blue_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return self.number


__all__ = ["Invoice", "InvoiceColour", "VatKind", "VatRate"]
