"""Forms of finance's dealer deposit page: a deposit seen on the bank statement, and a refund."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.widgets import UserDataSelect
from dealers.models.dealers import Dealer


def _dealer_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("经销商"),
        queryset=Dealer.objects.order_by("legal_name"),
        empty_label=None,
        widget=UserDataSelect,
    )


class DepositReceiptForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # two forms on one page: their fields' ids must not collide
        kwargs.setdefault("auto_id", "receipt_%s")
        super().__init__(*args, **kwargs)

    dealer = _dealer_field()
    amount = PlainDecimalField(label=_("到账金额"), max_digits=18, decimal_places=2)
    bank_ref = forms.CharField(label=_("银行流水号"), max_length=64)


class DepositRefundForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "refund_%s")
        super().__init__(*args, **kwargs)

    dealer = _dealer_field()
    amount = PlainDecimalField(label=_("退还金额"), max_digits=18, decimal_places=2)
    reason = forms.CharField(label=_("退还原因"), max_length=200)
