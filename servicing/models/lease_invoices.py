"""What each lease invoice was issued for (the lease VAT sub-ledger) and the invoices the
nightly step could not issue (for operations to fix).

`LeaseInvoiceLine`: one per rent invoiced (a schedule row; once, whatever the grouping: per rent
or per customer per month) and one per 价外费用 received (a repayment's penalty), with the VAT
split of decision 0014 — tax = principal_tax (out of 待转销项税额, 直租) + interest_tax (out of
income). `LeaseInvoiceRefusal`: a rent or charge the tax platform or the buyer's ID refused,
recorded once per source and day; resolved when a later run issues it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.invoices import Invoice
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.models.repayments import Repayment

MONEY = {"max_digits": 18, "decimal_places": 2}


class LeaseInvoiceKind(models.TextChoices):
    RENT = "lease_rent", _("租金")
    CHARGE = "lease_charge", _("价外费用")


class LeaseInvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("发票"), on_delete=models.PROTECT, related_name="lease_lines"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("租赁合同"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=LeaseInvoiceKind.choices)
    row = models.ForeignKey(
        LoanScheduleRow, verbose_name=_("租金期次"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="lease_invoice_lines",
        # hash-partitioned schedule rows: a guard trigger, not a foreign key (migration 0038)
        db_constraint=False,
    )  # fmt: skip
    repayment = models.ForeignKey(
        Repayment, verbose_name=_("还款"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    tax_point = models.DateField(_("纳税义务发生日"))
    taxable = models.DecimalField(_("价税合计"), **MONEY)
    tax = models.DecimalField(_("税额"), **MONEY)
    principal_tax = models.DecimalField(_("本金部分税额"), **MONEY)
    interest_tax = models.DecimalField(_("利息部分税额"), **MONEY)

    class Meta:
        verbose_name = _("租赁发票明细")
        verbose_name_plural = _("租赁发票明细")
        ordering = ["loan_id", "tax_point", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["row"], condition=Q(kind="lease_rent"), name="lease_rent_invoiced_once"
            ),
            models.UniqueConstraint(
                fields=["repayment"],
                condition=Q(kind="lease_charge"),
                name="lease_charge_invoiced_once",
            ),  # fmt: skip
            # interest_tax may be a few fen below zero: a 直租's last rent takes what is left of
            # 待转销项税额, which per-rent rounding can leave above that rent's own tax
            models.CheckConstraint(
                condition=Q(
                    tax=F("principal_tax") + F("interest_tax"),
                    taxable__gt=0,
                    tax__gte=0,
                    principal_tax__gte=0,
                ),
                name="lease_line_tax_split",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(kind="lease_rent", row__isnull=False)
                | Q(kind="lease_charge", repayment__isnull=False, principal_tax=0),
                name="lease_line_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.taxable}"


class LeaseInvoiceRefusal(models.Model):
    loan = models.ForeignKey(
        Loan, verbose_name=_("租赁合同"), on_delete=models.PROTECT, related_name="+"
    )
    source_type = models.CharField(_("来源单据类型"), max_length=32)
    source_id = models.CharField(_("来源单据号"), max_length=64)
    business_date = models.DateField(_("营业日"))
    reason = models.TextField(_("原因"))
    resolved = models.BooleanField(_("已处理"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("租赁发票开具异常")
        verbose_name_plural = _("租赁发票开具异常")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "business_date"], name="lease_refusal_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_id}"


__all__ = ["LeaseInvoiceKind", "LeaseInvoiceLine", "LeaseInvoiceRefusal"]
