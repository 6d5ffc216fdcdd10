"""The form of the period close page: a correction to a closed month (期后调整)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from servicing.models.ledger import AccountType, LedgerAccount


def _account_choices() -> list[tuple[str, str]]:
    return [
        (a.code, a.display_name)
        for a in LedgerAccount.objects.exclude(account_type=AccountType.MEMO).order_by(
            "sort_order", "code"
        )
    ]


class PeriodAdjustmentForm(forms.Form):
    debit_account = forms.ChoiceField(label=_("借方科目"), choices=_account_choices)
    credit_account = forms.ChoiceField(label=_("贷方科目"), choices=_account_choices)
    amount = PlainDecimalField(
        label=_("金额（元）"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    reason = forms.CharField(label=_("调整原因"), max_length=200)
