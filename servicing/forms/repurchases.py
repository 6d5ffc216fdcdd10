"""Forms of finance's repurchase page: a repurchase asked of a dealer, the dealer's payment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from servicing.forms.deposits import _dealer_field
from servicing.models.repurchases import RepurchaseGround, RepurchaseSettlement


class RepurchaseRequestForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "request_%s")
        super().__init__(*args, **kwargs)

    dealer = _dealer_field()
    contract_ref = forms.CharField(label=_("合同编号"), max_length=64)
    ground = forms.ChoiceField(label=_("回购原因"), choices=RepurchaseGround.choices)
    settlement = forms.ChoiceField(label=_("结算方式"), choices=RepurchaseSettlement.choices)
    evidence = forms.CharField(
        label=_("依据说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RepurchaseReceiptForm(forms.Form):
    amount = PlainDecimalField(label=_("到账金额"), max_digits=18, decimal_places=2)
    bank_ref = forms.CharField(label=_("银行流水号"), max_length=64)


class DebtSetOffForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "setoff_%s")
        super().__init__(*args, **kwargs)

    dealer = _dealer_field()
