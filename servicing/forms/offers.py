"""Forms of the customer's offer take-up: the purchase (payee, amount, term) and the contract's
signing code. Input only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField


class OfferUseForm(forms.Form):
    payee = forms.ChoiceField(label=_("服务商"), widget=forms.RadioSelect)
    amount = PlainDecimalField(
        label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    term = forms.TypedChoiceField(label=_("分期期数"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, payees: list[str], terms: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payee"].choices = [(name, name) for name in payees]
        self.fields["term"].choices = [(t, _("%(n)s 期") % {"n": t}) for t in terms]


class OfferCodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"), min_length=6, max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )  # fmt: skip
