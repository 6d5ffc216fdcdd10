"""The customer's own bank card a sale-leaseback (售后回租) pays the car's price to, and the
result of its four-element check (银行卡四要素: name, ID number, card number, reserved phone).

One active card per application; entering another card deactivates the earlier one (its row and
check result stay as the record). The card number and the reserved phone are kept encrypted
(autofin.crypto), with a keyed hash and a mask; the money is released only to an active card
whose check passed (servicing's disbursement asks origination.selectors.bank_cards).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.models.applications import Application

__all__ = ["CardCheckResult", "CustomerBankCard"]


class CardCheckResult(models.TextChoices):
    PASSED = "passed", _("核验通过")
    FAILED = "failed", _("核验未通过")


class CustomerBankCard(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.PROTECT, related_name="bank_cards"
    )
    holder_name = models.CharField(_("持卡人"), max_length=50)
    id_number_hash = models.CharField(max_length=64)
    bank_name = models.CharField(_("开户行"), max_length=100)
    card_number_enc = models.TextField()
    card_number_hash = models.CharField(max_length=64, db_index=True)
    card_number_masked = models.CharField(_("银行卡号"), max_length=40)
    phone_enc = models.TextField()
    phone_masked = models.CharField(_("预留手机号"), max_length=11)
    check_result = models.CharField(_("四要素核验"), max_length=8, choices=CardCheckResult.choices)
    check_reason = models.CharField(_("未通过原因"), max_length=10, blank=True)
    check_ref = models.CharField(_("核验流水号"), max_length=40, blank=True)
    checked_at = models.DateTimeField(_("核验时间"))
    active = models.BooleanField(_("当前使用"), default=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户收款银行卡")
        verbose_name_plural = _("客户收款银行卡")
        ordering = ["application_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(active=True), name="bank_card_one_active"
            ),
            models.CheckConstraint(
                condition=Q(check_result__in=CardCheckResult.values)
                & (Q(check_result="failed") | Q(check_reason="")),
                name="bank_card_check_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.card_number_masked}"

    @property
    def passed(self) -> bool:
        return self.check_result == CardCheckResult.PASSED
