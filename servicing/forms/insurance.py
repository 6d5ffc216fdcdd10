"""Forms of the insurance pages: a policy bought anywhere, an insurer's commission payment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField


class PolicyForm(forms.Form):
    insurer_name = forms.CharField(label=_("保险公司"), max_length=200)
    policy_number = forms.CharField(label=_("保单号"), max_length=40)
    premium = PlainDecimalField(label=_("保费"), max_digits=18, decimal_places=2)
    starts_on = forms.DateField(label=_("起保日"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("终保日"), widget=forms.DateInput(attrs={"type": "date"}))
    beneficiary_name = forms.CharField(label=_("第一受益人"), max_length=200)


class CommissionReceiptForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "receipt_%s")
        super().__init__(*args, **kwargs)

    amount = PlainDecimalField(label=_("到账金额"), max_digits=18, decimal_places=2)
    bank_ref = forms.CharField(label=_("银行流水号"), max_length=64)
