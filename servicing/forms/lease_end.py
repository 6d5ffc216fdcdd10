"""Forms of a lease's end-of-term actions on the servicing agent's loan page (eot)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField

_MONEY_ERRORS = {
    "invalid": _("请输入有效金额。"),
    "max_decimal_places": _("金额最多两位小数。"),
    "required": _("请输入金额。"),
}


class LeaseReturnForm(forms.Form):
    mileage_km = forms.IntegerField(label=_("里程（公里）"), min_value=0)
    notes = forms.CharField(label=_("验车记录"), widget=forms.Textarea(attrs={"rows": 3}))
    excess_wear_charge = PlainDecimalField(
        label=_("超额损耗费"), max_digits=18, decimal_places=2, min_value=Decimal("0.00"),
        error_messages={**_MONEY_ERRORS, "min_value": _("金额不能为负数。")},
    )  # fmt: skip


class LeaseRemarketForm(forms.Form):
    buyer = forms.CharField(label=_("买受人"), max_length=200)
    proceeds = PlainDecimalField(
        label=_("处置价款"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
        error_messages={**_MONEY_ERRORS, "min_value": _("金额必须大于零。")},
    )  # fmt: skip
    evidence_ref = forms.CharField(label=_("银行流水号"), max_length=64, required=False)
