"""Insurance renewals and the lender's agency commission (issue 21 §4, docs/insurance.md).

The policy itself is `InsurancePolicy` (servicing.models.leases), one row per policy term; a
renewal's quotes hang off the policy that ends, and binding one opens the next row (`renews`).
A commission row exists only where the lender holds an agency licence and bound the policy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.outgoing import OutgoingPayment

MONEY = {"max_digits": 18, "decimal_places": 2}


class QuoteStatus(models.TextChoices):
    OFFERED = "offered", _("待选择")
    PAYING = "paying", _("待支付保费")
    FINANCING = "financing", _("保费分期申请中")
    BOUND = "bound", _("已出单")
    REFUSED = "refused", _("保险公司拒保")
    # the rail did not answer: tomorrow's batch asks again
    UNAVAILABLE = "unavailable", _("询价失败")
    # the customer chose another quote or bought elsewhere
    CLOSED = "closed", _("未采用")


class RenewalQuote(models.Model):
    policy = models.ForeignKey(
        "servicing.InsurancePolicy", verbose_name=_("到期保单"), on_delete=models.PROTECT,
        related_name="renewal_quotes",
    )  # fmt: skip
    insurer_name = models.CharField(_("保险公司"), max_length=200, blank=True)
    quote_ref = models.CharField(_("报价单号"), max_length=40, blank=True)
    premium = models.DecimalField(_("保费"), default=0, **MONEY)
    cover = models.JSONField(_("险种"), default=list, blank=True)
    commission_rate = models.DecimalField(
        _("代理手续费率"), max_digits=5, decimal_places=4, default=0
    )
    valid_until = models.DateField(_("报价有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.OFFERED
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    fetched_on = models.DateField(_("询价营业日"))
    payment_order = models.OneToOneField(
        "servicing.PaymentOrder", verbose_name=_("保费支付订单"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="renewal_quote",
    )  # fmt: skip
    offer = models.OneToOneField(
        "servicing.Offer", verbose_name=_("保费分期邀约"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="renewal_quote",
    )  # fmt: skip
    new_policy = models.OneToOneField(
        "servicing.InsurancePolicy", verbose_name=_("续保保单"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="bound_from_quote",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("续保报价")
        verbose_name_plural = _("续保报价")
        ordering = ["premium", "id"]
        constraints = [
            # one answer per insurer per expiring policy: the nightly selection is catch-up safe
            models.UniqueConstraint(
                fields=["policy", "insurer_name"], name="renewal_quote_one_per_insurer"
            ),
            models.CheckConstraint(
                condition=Q(premium__gte=0, commission_rate__gte=0, commission_rate__lt=1)
                & Q(status__in=QuoteStatus.values),
                name="renewal_quote_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer_name} {self.premium}"


class CommissionStatus(models.TextChoices):
    POSTED = "posted", _("已入账待对账")
    MATCHED = "matched", _("对账一致")
    DIFFERING = "differing", _("金额不符")
    MISSING = "missing", _("对账单缺失")
    RECEIVED = "received", _("已收款")


class InsuranceCommission(models.Model):
    """The agency commission an insurer owes on one policy the lender bound, as booked."""

    policy = models.OneToOneField(
        "servicing.InsurancePolicy", verbose_name=_("保单"), on_delete=models.PROTECT,
        related_name="commission",
    )  # fmt: skip
    insurer_name = models.CharField(_("保险公司"), max_length=200, db_index=True)
    # the insurer's statement month: the month the policy starts
    month = models.DateField(_("对账月份"))
    premium = models.DecimalField(_("保费"), **MONEY)
    rate = models.DecimalField(_("代理手续费率"), max_digits=5, decimal_places=4)
    amount = models.DecimalField(_("手续费（含税）"), **MONEY)
    vat = models.DecimalField(_("销项税额"), **MONEY)
    entry_id = models.BigIntegerField(_("入账分录"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.POSTED
    )
    statement_amount = models.DecimalField(_("对账单金额"), null=True, blank=True, **MONEY)
    reconciled_on = models.DateField(_("对账日"), null=True, blank=True)
    receipt_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保险代理手续费")
        verbose_name_plural = _("保险代理手续费")
        ordering = ["-month", "insurer_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, vat__gte=0, premium__gt=0)
                & Q(status__in=CommissionStatus.values),
                name="insurance_commission_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer_name} {self.amount}"


class RemittanceStatus(models.TextChoices):
    PREPARED = "prepared", _("待复核")
    RELEASED = "released", _("已放行待银行确认")
    PAID = "paid", _("已付保险公司")
    FAILED = "failed", _("付款失败")
    REJECTED = "rejected", _("已驳回")


class InsurerRemittance(OutgoingPayment):
    """A renewal premium the customer paid us (held in insurer_payable), paid on to the insurer
    payee of the register: maker-checked, through the outgoing-payment engine. At most one
    remittance per quote is live (a failed or rejected one may be prepared again)."""

    quote = models.ForeignKey(
        RenewalQuote, verbose_name=_("续保报价"), on_delete=models.PROTECT,
        related_name="remittances",
    )  # fmt: skip
    loan_id = models.BigIntegerField(_("贷款账户"), db_index=True)
    payee_id = models.BigIntegerField(_("收款方"))
    payee_name = models.CharField(_("收款方名称"), max_length=200)
    amount = models.DecimalField(_("金额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=RemittanceStatus.choices,
        default=RemittanceStatus.PREPARED,
    )  # fmt: skip
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_masked = models.CharField(_("账号"), max_length=40)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    paid_on = models.DateField(_("付款日"), null=True, blank=True)
    journal_entry_id = models.BigIntegerField(_("付款分录"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("保费转付")
        verbose_name_plural = _("保费转付")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(status__in=RemittanceStatus.values),
                name="insurer_remittance_valid",
            ),
            # never twice: one live remittance per premium
            models.UniqueConstraint(
                fields=["quote"],
                condition=~Q(status__in=["failed", "rejected"]),
                name="insurer_remittance_one_live_per_quote",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee_name} {self.amount}"


__all__ = [
    "CommissionStatus", "InsuranceCommission", "InsurerRemittance", "QuoteStatus",
    "RemittanceStatus", "RenewalQuote",
]  # fmt: skip
