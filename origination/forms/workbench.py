"""Forms of the underwriting workbench and of contract signing (input only: the services
decide)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.widgets import UserDataSelect
from origination.forms.apply import payee_search_input
from origination.models import VehicleKind
from origination.models.contracts import ChecklistStatus
from origination.models.documents import DocumentKind
from origination.models.underwriting import ConditionKind
from origination.quoting.vocabulary import FEE_KIND_LABELS, ITEM_KIND_LABELS
from origination.selectors.payees import PAYEE_TYPE_KIND, contract_payees_unregistered
from origination.services.underwriting.decline import DECLINE_REASONS

CONDITION_ROWS = 3
TIER_CHOICES = [("", _("全部"))] + [(t, t) for t in "ABCD"]


class QueueFilterForm(forms.Form):
    product_line = forms.ChoiceField(
        label=_("产品线"), required=False, choices=[("", _("全部")), *VehicleKind.choices]
    )
    dealer = forms.TypedChoiceField(
        label=_("经销商"), required=False, coerce=int, empty_value=None, widget=UserDataSelect
    )
    amount_min = PlainDecimalField(label=_("融资额自"), required=False, min_value=0)
    amount_max = PlainDecimalField(label=_("融资额至"), required=False, min_value=0)
    tier = forms.ChoiceField(label=_("客群分层"), required=False, choices=TIER_CHOICES)
    mine = forms.BooleanField(label=_("只看我领取的"), required=False)

    def __init__(self, *args, dealers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].choices = [("", _("全部"))] + [(str(i), n) for i, n in dealers]


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("审批意见"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, CONDITION_ROWS + 1):
            self.fields[f"cond_kind_{i}"] = forms.ChoiceField(
                label=_("条件 %(n)s") % {"n": i},
                required=False,
                choices=[("", _("（无）")), *ConditionKind.choices],
            )
            self.fields[f"cond_amount_{i}"] = PlainDecimalField(
                label=_("金额"), required=False, min_value=Decimal("0.01"), decimal_places=2
            )
            self.fields[f"cond_note_{i}"] = forms.CharField(
                label=_("说明"), required=False, max_length=300
            )

    def conditions(self) -> list[dict]:
        rows = []
        for i in range(1, CONDITION_ROWS + 1):
            kind = self.cleaned_data.get(f"cond_kind_{i}")
            if kind:
                rows.append(
                    {
                        "condition_kind": kind,
                        "amount": self.cleaned_data.get(f"cond_amount_{i}"),
                        "note": self.cleaned_data.get(f"cond_note_{i}") or "",
                    }
                )
        return rows

    def clean(self):
        data = super().clean()
        for i in range(1, CONDITION_ROWS + 1):
            if data.get(f"cond_kind_{i}") == ConditionKind.DOWN_PAYMENT and not data.get(
                f"cond_amount_{i}"
            ):
                self.add_error(f"cond_amount_{i}", _("提高首付的条件须填写首付金额。"))
        return data


class CounterOfferForm(forms.Form):
    down_payment = PlainDecimalField(
        label=_("首付"), min_value=Decimal("0"), decimal_places=2, max_digits=18
    )
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=120)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class RequestDocumentsForm(forms.Form):
    doc_kinds = forms.MultipleChoiceField(
        label=_("需要补充的资料"), choices=DocumentKind.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeclineForm(forms.Form):
    reason_codes = forms.MultipleChoiceField(
        label=_("拒绝原因"),
        choices=list(DECLINE_REASONS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class ConditionResolveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("处理"), choices=[("satisfied", _("已满足")), ("waived", _("豁免"))]
    )
    evidence = forms.CharField(label=_("依据"), max_length=300)


class ChecklistForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[
            (ChecklistStatus.DONE, _("已完成")),
            (ChecklistStatus.AFTER_FUNDING, _("放款后补")),
        ],
    )
    evidence = forms.CharField(label=_("依据"), max_length=300)
    deadline = forms.DateField(
        label=_("补办期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ItemPayeeForm(forms.Form):
    """An add-on's payee, picked from the register's type-ahead (one form per item, prefixed
    by its kind); the service refuses a name the register does not hold."""

    payee_name = forms.CharField(label=_("收款方"), max_length=200)

    def __init__(self, *args, item_kind: str, register_kind: str, **kwargs):
        super().__init__(*args, prefix=item_kind, **kwargs)
        self.fields["payee_name"].widget = payee_search_input(f"payees-{item_kind}", register_kind)


def item_payee_rows(payees: list[dict]) -> list[dict]:
    """Each payee ({"item", "payee_type", "name", ...}: a contract's payee list, or an
    application's items in that shape) with, for a register kind, whether the register holds it
    (verified) and the form that picks another."""
    rows = []
    for p in payees:
        kind = PAYEE_TYPE_KIND.get(str(p.get("payee_type") or ""))
        item = str(p.get("item") or "")
        rows.append(
            {
                **p,
                # by its code: a contract's stored label is in the language it was issued in
                "item_label": _item_label(item),
                "register": kind is not None,
                "registered": kind is not None and not contract_payees_unregistered([p]),
                "form": ItemPayeeForm(item_kind=p["item"], register_kind=kind) if kind else None,
            }
        )
    return rows


def _item_label(item: str) -> str:
    if item == "car":
        return str(_("车款"))
    label = FEE_KIND_LABELS.get(item.removeprefix("fee:")) or ITEM_KIND_LABELS.get(item)
    return gettext(label) if label else item
