"""The customer's signing form: read to the end, agree, then the SMS code (input only: the
signing service decides)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

READ_FIRST = _("请先阅读合同全文（滑动到合同末尾或点击“我已阅读”）。")


class AgreeForm(forms.Form):
    """Reading and agreeing: both needed before the code is sent and again when signing."""

    read = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-read-flag": ""}))
    agree = forms.BooleanField(
        label=_("我已阅读并同意合同全部条款及还款计划"),
        error_messages={"required": _("请勾选同意合同全部条款。")},
    )

    def clean_read(self) -> str:
        if self.cleaned_data.get("read") != "1":
            raise forms.ValidationError(READ_FIRST)
        return "1"


class SignForm(AgreeForm):
    code = forms.CharField(
        label=_("短信验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class BankCardForm(forms.Form):
    """A sale-leaseback's payout card (售后回租收款卡): input only; the service checks it."""

    card_number = forms.CharField(
        label=_("本人银行卡号"), max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )  # fmt: skip
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    phone = forms.CharField(
        label=_("银行预留手机号"), max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )  # fmt: skip
