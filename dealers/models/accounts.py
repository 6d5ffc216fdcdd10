"""Dealers' settlement accounts and the maker-checker request that creates one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from autofin.crypto import mask
from dealers.models.dealers import Dealer


class SettlementAccount(models.Model):
    """A dealer's bank account for disbursements and commissions; created only by an approved
    BankAccountChange. One active account per dealer."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="accounts"
    )
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    branch_name = models.CharField(_("支行"), max_length=100, blank=True)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64, db_index=True)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    verified = models.BooleanField(_("已核验"), default=False)
    active = models.BooleanField(_("启用"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("结算账户")
        verbose_name_plural = _("结算账户")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer"], condition=Q(active=True), name="one_active_account_per_dealer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number_masked}"


def mask_account(number: str) -> str:
    return mask(number, keep_start=4, keep_end=4)


class BankAccountChange(models.Model):
    """Maker-checker request for a new settlement account (复核 (双人))."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="account_changes"
    )
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    branch_name = models.CharField(_("支行"), max_length=100, blank=True)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    reason = models.TextField(_("变更原因"), blank=True)
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
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("复核意见"), blank=True)
    account = models.OneToOneField(
        SettlementAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="change"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结算账户变更")
        verbose_name_plural = _("结算账户变更")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="bank_change_maker_is_not_checker",
            ),
            models.UniqueConstraint(
                fields=["dealer"],
                condition=Q(status="pending"),
                name="one_pending_bank_change_per_dealer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.bank_name} {self.account_number_masked}"
