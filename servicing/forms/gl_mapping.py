"""The form of the GL mapping page: one proposed mapping row."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from origination.models.products import VehicleKind
from servicing.models.ledger import LedgerAccount


def _account_choices() -> list[tuple[str, str]]:
    return [(a.code, f"{a.code} {a.display_name}") for a in LedgerAccount.objects.all()]


def _line_choices() -> list[tuple[str, str]]:
    return [("", _("全部")), *VehicleKind.choices]


class GlMappingForm(forms.Form):
    role = forms.ChoiceField(label=_("记账角色（默认科目）"), choices=_account_choices)
    product_code = forms.CharField(
        label=_("产品代码"),
        max_length=40,
        required=False,
        help_text=_("填写后只对该产品生效；与产品线二选一。"),
    )
    vehicle_kind = forms.ChoiceField(label=_("产品线"), choices=_line_choices, required=False)
    account = forms.ChoiceField(label=_("总账科目"), choices=_account_choices)
    effective_from = forms.DateField(
        label=_("生效营业日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("变更原因"), max_length=200)
