from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealers.models.dealers import DealerLicence, DealerStatus, DealerType
from dealers.models.staff import StaffRole
from dealers.rules import DealerError


def form_error_from(form: forms.Form, exc: DealerError) -> None:
    """Show a service's refusal on the field it concerns (or on the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class PortalForm(forms.Form):
    """A form rendered with as_div: its labels end in the full-width colon of Chinese text
    (Django's default suffix is an ASCII ":")."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", gettext("："))
        super().__init__(*args, **kwargs)


class DealerOnboardForm(PortalForm):
    legal_name = forms.CharField(label=_("企业名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=20)
    dealer_type = forms.ChoiceField(label=_("经销商类型"), choices=DealerType.choices)
    brands = forms.CharField(label=_("经营品牌"), max_length=300, required=False)
    province = forms.CharField(label=_("省份"), max_length=30)
    city = forms.CharField(label=_("城市"), max_length=30)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("联系邮箱"), required=False)


class TransitionForm(PortalForm):
    to_status = forms.ChoiceField(label=_("变更为"), choices=DealerStatus.choices)
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class StaffInviteForm(PortalForm):
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("邮箱"), required=False)
    phone = forms.RegexField(
        label=_("手机号"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": _("请输入 11 位手机号。")},
    )
    role = forms.ChoiceField(label=_("角色"), choices=StaffRole.choices, initial="dealer_sales")

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("请填写邮箱或手机号，用于发送邀请链接。"))
        return data


class InviteAcceptForm(PortalForm):
    username = forms.RegexField(
        label=_("用户名"),
        regex=r"^[A-Za-z0-9_.@+-]{3,150}$",
        error_messages={"invalid": _("用户名为 3 至 150 位字母、数字或 _.@+-。")},
    )
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)

    def clean_password2(self):
        if self.cleaned_data.get("password1") != self.cleaned_data.get("password2"):
            raise forms.ValidationError(_("两次输入的密码不一致。"))
        return self.cleaned_data["password2"]


class LicenceUploadForm(PortalForm):
    kind = forms.ChoiceField(label=_("类型"), choices=DealerLicence.Kind.choices)
    file = forms.FileField(label=_("文件（PDF、JPEG、PNG、WebP，不超过 10 MB）"))


class BankAccountChangeForm(PortalForm):
    account_name = forms.CharField(label=_("户名"), max_length=200)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    branch_name = forms.CharField(label=_("支行"), max_length=100, required=False)
    account_number = forms.CharField(label=_("银行账号"), max_length=40)
    reason = forms.CharField(label=_("变更原因"), required=False)


class DecisionForm(PortalForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("批准")), ("reject", _("驳回"))], label=_("复核结果")
    )
    reason = forms.CharField(label=_("复核意见"), required=False)
