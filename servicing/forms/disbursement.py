"""Forms of the finance pages: a bank reconciliation run and the dealer's invoice on a
commission payout (the payee register's form is origination's, with the register)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField


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
