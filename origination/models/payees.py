"""The payee register (收款方登记簿): insurers, the tax account, warranty and accessory suppliers
and GPS providers with their verified bank accounts, and the maker-checked `PayeeChange` that
adds a payee or changes its account.

It lives in origination, the layer that names a contract's payees, so a contract can be issued
and signed only with registered, verified payees; servicing pays them and reads the register
from here. The tables keep their first names (``servicing_payee``, ``servicing_payeechange``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = ["REGISTER_KINDS", "Payee", "PayeeChange", "PayeeKind"]


class PayeeKind(models.TextChoices):
    DEALER = "dealer", _("经销商")
    INSURER = "insurer", _("保险公司")
    TAX = "tax", _("税款账户")
    WARRANTY = "warranty", _("延保服务商")
    ACCESSORY = "accessory", _("精品供应商")
    GPS = "gps", _("GPS 服务商")
    # A financed fee the lender keeps (handling, mortgage registration): no bank payment; it is
    # settled internally at release and recognised as fee income at funding.
    LENDER = "lender", _("本公司（留存费用）")
    # A carmaker paid for a dealer's stock (floor-plan advances); never a contract's payee.
    OEM = "oem", _("主机厂")
    # The customer themself: a sale-leaseback (售后回租) buys the car from them, a repossession's
    # surplus is refunded to them. Paid to their own verified card, never kept in the register.
    CUSTOMER = "customer", _("客户本人")
    # A vetted repossession vendor (towing, storage, recovery), paid a case's costs.
    REPOSSESSION_VENDOR = "repo_vendor", _("收车服务商")
    # A partner service centre (4S 店售后, 连锁维修) paid for a maintenance-credit loan's work.
    SERVICE_CENTRE = "service_centre", _("维修保养服务商")


# Kinds kept in the register here (the dealer's account comes from the dealers app).
REGISTER_KINDS = [
    k for k in PayeeKind if k not in (PayeeKind.DEALER, PayeeKind.LENDER, PayeeKind.CUSTOMER)
]


class Payee(models.Model):
    """A verified payee of the register (insurers, the tax account, suppliers, GPS providers).

    Created and changed only by an approved `PayeeChange`.
    """

    payee_type = models.CharField(
        _("收款方类型"), max_length=16, choices=[(k.value, k.label) for k in REGISTER_KINDS]
    )
    name = models.CharField(_("名称"), max_length=200)
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64, db_index=True)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    verified = models.BooleanField(_("已核验"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    # a repossession vendor is vetted (资质审查: licence, lawful-means undertaking) by the
    # checker who approves its registration, on this business date; never for other kinds
    vetted_on = models.DateField(_("资质审查日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        db_table = "servicing_payee"  # the table kept when the register moved from servicing
        verbose_name = _("收款方")
        verbose_name_plural = _("收款方登记簿")
        ordering = ["payee_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["payee_type", "name"], condition=Q(active=True), name="payee_active_unique"
            ),
            models.CheckConstraint(
                condition=Q(payee_type__in=[k.value for k in REGISTER_KINDS]),
                name="payee_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_payee_type_display()} {self.name}"


class PayeeChange(models.Model):
    """Maker-checker request to add a payee or change its account (复核 (双人))."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    payee = models.ForeignKey(
        Payee,
        verbose_name=_("收款方"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    payee_type = models.CharField(
        _("收款方类型"), max_length=16, choices=[(k.value, k.label) for k in REGISTER_KINDS]
    )
    name = models.CharField(_("名称"), max_length=200)
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    # the evidence the maker attaches (bank account certificate, the payee's letter): a private
    # upload the checker opens before approving
    evidence_path = models.CharField(_("证明材料"), max_length=255, blank=True)
    evidence_content_type = models.CharField(max_length=50, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.CharField(_("复核意见"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        db_table = "servicing_payeechange"  # the table kept (see Payee)
        verbose_name = _("收款方变更")
        verbose_name_plural = _("收款方变更")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="payee_change_maker_not_checker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(approved_by__isnull=False),
                name="payee_change_decided_has_checker",
            ),
            models.UniqueConstraint(
                fields=["payee"],
                condition=Q(status="pending", payee__isnull=False),
                name="payee_change_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.account_number_masked} ({self.get_status_display()})"
