"""Forms of finance's OEM subsidy claims page: an OEM's payment seen on the bank statement and
an OEM's agreement details (taxpayer ID, bank account, early-settlement option)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from servicing.models.oem_claims import EarlySettlementOption


class OemReceiptForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "receipt_%s")
        super().__init__(*args, **kwargs)

    amount = PlainDecimalField(label=_("回款金额"), max_digits=18, decimal_places=2)
    bank_ref = forms.CharField(label=_("银行流水号"), max_length=64)


class OemAgreementForm(forms.Form):
    taxpayer_id = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    early_settlement_option = forms.ChoiceField(
        label=_("提前结清贴息处理"), choices=EarlySettlementOption.choices
    )
