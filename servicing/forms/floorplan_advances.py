"""Forms of the floor-plan pages: the dealer's advance request (input only: the advances
service decides and refuses in Chinese)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.widgets import UserDataSelect
from origination.models.payees import PayeeKind
from origination.selectors.payees import payees_usable
from servicing.models.floorplan import AdvancePayeeKind


class AdvanceRequestForm(forms.Form):
    vin = forms.CharField(
        label=_("车架号（VIN）"),
        min_length=17,
        max_length=17,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    model_name = forms.CharField(label=_("车型"), max_length=100)
    invoice_price = PlainDecimalField(
        label=_("发票价格（元）"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    oem_invoice_number = forms.CharField(label=_("厂家发票号"), max_length=40)
    amount = PlainDecimalField(
        label=_("申请融资金额（元）"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    payee_kind = forms.ChoiceField(
        label=_("付款给"),
        choices=AdvancePayeeKind.choices,
        initial=AdvancePayeeKind.OEM,
        widget=forms.RadioSelect,
    )
    oem_payee = forms.ModelChoiceField(
        label=_("主机厂收款方"),
        queryset=payees_usable(PayeeKind.OEM).order_by("name"),
        required=False,
        empty_label=_("（付款给主机厂时选择）"),
        widget=UserDataSelect,
    )

    def clean_vin(self) -> str:
        return self.cleaned_data["vin"].strip().upper()

    def request_fields(self) -> dict:
        """The advances service's keywords (it checks the payee itself)."""
        data = dict(self.cleaned_data)
        oem = data.pop("oem_payee")
        return {**data, "oem_payee_id": oem.pk if oem else None}
