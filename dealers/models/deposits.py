"""The dealer's deposit (保证金) as the portal shows it. Servicing holds the money and its
ledger; it pushes the figures here (dealers imports no other app), as it marks statements paid."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.models.dealers import Dealer

MONEY = {"max_digits": 18, "decimal_places": 2}


class DealerDeposit(models.Model):
    dealer = models.OneToOneField(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="deposit"
    )
    required = models.DecimalField(_("应缴保证金"), **MONEY)
    held = models.DecimalField(_("已缴保证金"), **MONEY)
    due = models.DecimalField(_("待补缴"), **MONEY)
    as_of = models.DateField(_("截至"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("经销商保证金")
        verbose_name_plural = _("经销商保证金")
        constraints = [
            models.CheckConstraint(
                condition=Q(required__gte=0) & Q(held__gte=0) & Q(due__gte=0),
                name="dealer_deposit_non_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.held}/{self.required}"
