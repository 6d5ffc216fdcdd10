"""The customer page's forms: the reason an agent gives to see a customer's full identity."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("例如：客户来电核实身份")}),
    )
