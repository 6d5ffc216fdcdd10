"""The payee register's form: a new payee or an account change, submitted by a finance
operator for a second person to approve (maker-checker)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from origination.models.payees import REGISTER_KINDS


class PayeeChangeForm(forms.Form):
    payee_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    payee_type = forms.ChoiceField(
        label=_("收款方类型"), choices=[(k.value, k.label) for k in REGISTER_KINDS]
    )
    name = forms.CharField(label=_("名称"), max_length=200)
    account_name = forms.CharField(label=_("户名"), max_length=200)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    account_number = forms.CharField(label=_("银行账号"), max_length=40)
    reason = forms.CharField(label=_("变更原因"), max_length=255, required=False)
    evidence = forms.FileField(
        label=_("证明材料（开户证明或收款方来函，PDF 或图片）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )
