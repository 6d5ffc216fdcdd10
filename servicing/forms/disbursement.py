"""Forms of the finance pages: a payee register change (maker-checker), a bank reconciliation
run, and the dealer's invoice on a commission payout."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
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


class ReconciliationForm(forms.Form):
    statement_date = forms.DateField(
        label=_("对账日"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PayoutInvoiceForm(forms.Form):
    """The dealer's VAT invoice (发票) for a commission payout."""

    invoice_number = forms.CharField(label=_("发票号码"), max_length=40)
    invoice_amount = PlainDecimalField(
        label=_("发票金额（价税合计）"), max_digits=18, decimal_places=2
    )
    invoice_tax = PlainDecimalField(label=_("税额"), max_digits=18, decimal_places=2)
