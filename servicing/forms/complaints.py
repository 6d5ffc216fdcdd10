"""Forms of the complaint pages: the customer's, the agent's phone entry, the dealer's referral,
the agent's actions and the survey answer. Services decide; these only read the input."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from servicing.models.customers import ComplaintCategory, ComplaintPriority


class _ComplaintBase(forms.Form):
    category = forms.ChoiceField(label=_("投诉类别"), choices=ComplaintCategory.choices)
    summary = forms.CharField(label=_("投诉摘要"), max_length=200)
    detail = forms.CharField(
        label=_("详细情况"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class CustomerComplaintForm(_ComplaintBase):
    """The customer's own: the loan is one of theirs (or none)."""

    loan = forms.TypedChoiceField(label=_("相关合同"), coerce=int, required=False, empty_value=None)

    field_order = ["loan", "category", "summary", "detail"]

    def __init__(self, *args, loans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].choices = [("", _("不涉及具体合同"))] + [
            (ln.pk, ln.contract_ref) for ln in loans
        ]


class AgentComplaintForm(_ComplaintBase):
    customer_phone = forms.CharField(label=_("客户手机号"), max_length=20)
    contract_ref = forms.CharField(label=_("合同编号（可选）"), max_length=64, required=False)
    priority = forms.ChoiceField(label=_("优先级"), choices=ComplaintPriority.choices)

    field_order = ["customer_phone", "contract_ref", "category", "priority", "summary", "detail"]


class DealerComplaintForm(_ComplaintBase):
    contract_ref = forms.CharField(label=_("合同编号"), max_length=64)

    field_order = ["contract_ref", "category", "summary", "detail"]


class ExtendForm(forms.Form):
    days = forms.TypedChoiceField(label=_("延长至（天）"), coerce=int)
    reason = forms.CharField(label=_("延期原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sla = settings.COMPLAINT_SLA
        self.fields["days"].choices = [
            (sla["extended_days"], sla["extended_days"]),
            (sla["max_days"], sla["max_days"]),
        ]


class TextForm(forms.Form):
    text = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}))


class SurveyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the question ends with its own question mark
        super().__init__(*args, **kwargs)

    score = forms.TypedChoiceField(
        label=_("您对我们的服务满意吗？"),
        coerce=int,
        choices=[
            (5, _("非常满意")),
            (4, _("满意")),
            (3, _("一般")),
            (2, _("不满意")),
            (1, _("非常不满意")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见建议（选填）"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
