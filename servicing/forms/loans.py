"""Forms of the customer's loan pages and the servicing agent's loan page. Each posting form
carries a one-time token (rendered as a hidden field) that becomes the idempotency key, so a
double submit posts once."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.idempotency import KEY_MAX_LENGTH
from autofin.pricing import PrepaymentOption
from servicing.models.repayments import PaymentChannel


class TokenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=KEY_MAX_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


def _money(label, **kwargs):
    return PlainDecimalField(
        label=label,
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "invalid": _("请输入有效金额。"),
            "min_value": _("金额必须大于零。"),
            "max_decimal_places": _("金额最多两位小数。"),
            "required": _("请输入金额。"),
        },
        **kwargs,
    )


class PayForm(TokenForm):
    amount = _money(_("还款金额（元）"))


class PayoffQuoteForm(forms.Form):
    as_of = forms.DateField(
        label=_("结清日"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请选择结清日。"), "invalid": _("日期格式不正确。")},
    )


class PrepayForm(forms.Form):
    prepay_amount = _money(_("提前还本金额（元）"))
    option = forms.ChoiceField(
        label=_("还款后"),
        choices=[
            (PrepaymentOption.SHORTEN_TERM.value, _("月供不变，缩短期限")),
            (PrepaymentOption.LOWER_INSTALMENT.value, _("期限不变，减少月供")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择缩短期限或减少月供。")},
    )


class ManualRepaymentForm(TokenForm):
    amount = _money(_("到账金额（元）"))
    evidence = forms.CharField(
        label=_("入账凭证"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("银行流水号、付款人、到账时间"),
        error_messages={"required": _("请填写入账凭证说明。")},
    )
    evidence_ref = forms.CharField(label=_("凭证附件编号"), max_length=255, required=False)
    # not required: a posting that does not say is a domestic transfer, as it always was
    payment_channel = forms.ChoiceField(
        label=_("资金渠道"),
        choices=PaymentChannel.choices,
        initial=PaymentChannel.TRANSFER,
        required=False,
    )
    payer_account = forms.CharField(
        label=_("付款账号"),
        max_length=40,
        required=False,
        help_text=_("非借款人本人还款账户付款时填写（用于反洗钱监测）"),
    )

    def clean_payment_channel(self) -> str:
        return self.cleaned_data.get("payment_channel") or PaymentChannel.TRANSFER


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("冲正原因"), max_length=255, error_messages={"required": _("请填写冲正原因。")}
    )


class RestructureForm(forms.Form):
    term_months = forms.IntegerField(
        label=_("新期限（月）"),
        min_value=1,
        max_value=120,
        error_messages={"required": _("请填写新期限。"), "min_value": _("期限至少 1 个月。")},
    )
    annual_rate = PlainDecimalField(
        label=_("新年利率（如 0.0580，留空不变）"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("0.36"),
        required=False,
    )
    first_due_date = forms.DateField(
        label=_("首期还款日（留空为一个月后）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("重组原因"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写重组原因。")},
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("备注"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写备注内容。")},
    )


class ContactPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("新手机号"), max_length=20, error_messages={"required": _("请填写新手机号。")}
    )


class ContactCodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"), max_length=6, error_messages={"required": _("请填写验证码。")}
    )
