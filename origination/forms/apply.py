"""Forms of the application pages (customer and dealer portal): they check types and shape;
the services check the rules and their messages come back as field errors (``errors_into``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.widgets import UserDataSelect
from origination.forms.calculator import TERM_CHOICES as CALCULATOR_TERMS
from origination.models import PayeeType, ProductVersion, RepaymentMethod, VehicleKind, VehicleUse
from origination.models.applications import EmploymentKind, Housing, MaritalStatus
from origination.models.documents import DocumentKind
from origination.models.privacy import ConsentKind
from origination.selectors.payees import PAYEE_TYPE_KIND
from origination.selectors.products import vehicle_product_versions_current
from origination.services.applications.items import DEFAULT_PAYEE
from origination.services.applications.vehicle import ADD_ON_KINDS, VEHICLE_FIELDS
from origination.validators import id_number_birth_date

TERM_CHOICES = CALCULATOR_TERMS  # one unit (期) and one list of terms, as in the calculator
PLAN_FIELDS = (
    "product",
    "vehicle_kind",
    "vehicle_use",
    "vehicle_price",
    "down_payment",
    "term_months",
    "method",
    "balloon_ratio",
)
ITEM_LABELS = {
    "purchase_tax": _("购置税"),
    "insurance": _("保险"),
    "warranty": _("延保"),
    "accessories": _("精品加装"),
}


def errors_into(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """The service's field errors onto the form (unknown fields become form-wide errors)."""
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ProductChoiceField(forms.ModelChoiceField):
    widget = UserDataSelect  # product names are the product manager's words

    def label_from_instance(self, obj: ProductVersion) -> str:
        kind = obj.product.get_vehicle_kind_display()
        return f"{obj.product.name}{gettext('（')}{kind}{gettext('）')}"


def _current_versions():
    ids = [v.pk for v in vehicle_product_versions_current()]
    return ProductVersion.objects.filter(pk__in=ids).select_related("product")


class VehicleForm(forms.Form):
    product = ProductChoiceField(queryset=ProductVersion.objects.none(), label=_("产品"))
    vehicle_kind = forms.ChoiceField(choices=VehicleKind.choices, label=_("车辆类型"))
    vehicle_use = forms.ChoiceField(
        choices=VehicleUse.choices, label=_("车辆用途"), initial="personal"
    )
    vehicle_brand = forms.CharField(max_length=50, label=_("品牌"))
    vehicle_model = forms.CharField(max_length=80, label=_("车型"))
    vehicle_trim = forms.CharField(max_length=80, label=_("配置"), required=False)
    vehicle_price = PlainDecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0.01"), label=_("车价（元）")
    )
    vin = forms.CharField(
        max_length=20,
        required=False,
        label=_("车架号（VIN）"),
        help_text=_("二手车必填；新车最迟在签约前补充。"),
    )
    mileage_km = forms.IntegerField(
        min_value=0, required=False, label=_("行驶里程（公里）"), help_text=_("二手车必填")
    )
    first_registration_date = forms.DateField(
        required=False,
        label=_("首次登记日期"),
        help_text=_("二手车必填"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    down_payment = PlainDecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0"), label=_("首付（元）")
    )
    term_months = forms.TypedChoiceField(
        choices=TERM_CHOICES, coerce=int, label=_("期限"), initial=36
    )
    method = forms.ChoiceField(choices=RepaymentMethod.choices, label=_("还款方式"))
    balloon_ratio = PlainDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        label=_("尾款比例（%）"),
        help_text=_("仅弹性尾款方式，如 30 表示车价的 30%"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _current_versions()
        self.fields["vehicle_price"].widget.attrs["inputmode"] = "decimal"
        self.fields["down_payment"].widget.attrs["inputmode"] = "decimal"
        self.fields["vin"].widget.attrs.update(autocapitalize="characters", autocomplete="off")

    def clean_balloon_ratio(self):
        """Typed as a percent (as in the calculator), kept as a ratio (0.3000)."""
        percent = self.cleaned_data.get("balloon_ratio")
        return (
            None if percent is None else (percent / 100).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        )

    def vehicle_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in VEHICLE_FIELDS}
        data["vin"] = (data.get("vin") or "").strip().upper()
        return data

    @classmethod
    def initial_from(cls, app) -> dict:
        initial = {name: getattr(app, name) for name in VEHICLE_FIELDS}
        initial["product"] = app.product_version_id
        if app.balloon_ratio is not None:
            initial["balloon_ratio"] = f"{app.balloon_ratio * 100:f}".rstrip("0").rstrip(".")
        return initial

    @classmethod
    def initial_from_plan(cls, query) -> dict:
        """A calculator plan's figures (from the 用此方案申请 link) as the first step's initial
        values; only these fields are taken, and the page's own validation still applies."""
        return {name: query[name] for name in PLAN_FIELDS if query.get(name)}


class DealerStartForm(VehicleForm):
    customer_name = forms.CharField(max_length=50, label=_("客户姓名"))
    customer_mobile = forms.CharField(
        max_length=20,
        label=_("客户手机号"),
        help_text=_("客户将收到确认短信，在短信链接中确认申请并授权。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    field_order = ["customer_name", "customer_mobile"]


def _person_fields(prefix: str, *, primary: bool) -> dict[str, forms.Field]:
    required = primary
    return {
        f"{prefix}name": forms.CharField(max_length=50, label=_("姓名"), required=required),
        f"{prefix}id_number": forms.CharField(
            max_length=18,
            label=_("身份证号"),
            required=required,
            help_text=_("出生日期和性别按身份证号自动识别，无需填写。"),
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "characters",
                    # autofin.js shows what the number says as it is typed
                    "data-id-derive": _("出生日期：%(date)s · 性别：%(sex)s"),
                    "data-id-male": _("男"),
                    "data-id-female": _("女"),
                }
            ),
        ),
        f"{prefix}mobile": forms.CharField(
            max_length=20,
            label=_("手机号"),
            required=required,
            widget=forms.TextInput(attrs={"inputmode": "tel"}),
        ),
        f"{prefix}marital_status": forms.ChoiceField(
            choices=[("", "—"), *MaritalStatus.choices], label=_("婚姻状况"), required=False
        ),
        f"{prefix}address": forms.CharField(max_length=200, label=_("居住地址"), required=required),
        f"{prefix}employment_kind": forms.ChoiceField(
            choices=[("", "—"), *EmploymentKind.choices], label=_("就业类型"), required=False
        ),
        f"{prefix}employer": forms.CharField(max_length=100, label=_("工作单位"), required=False),
        f"{prefix}employment_years": PlainDecimalField(
            max_digits=4, decimal_places=1, min_value=0, label=_("工作年限"), required=False
        ),
        f"{prefix}housing": forms.ChoiceField(
            choices=[("", "—"), *Housing.choices], label=_("住房情况"), required=False
        ),
        f"{prefix}monthly_income": PlainDecimalField(
            max_digits=18, decimal_places=2, min_value=0, label=_("月收入（元）"), required=required
        ),
        f"{prefix}bank_account": forms.CharField(
            max_length=30,
            label=_("还款银行卡号"),
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        ),
    }


class ApplicantForm(forms.Form):
    other_role = forms.ChoiceField(
        choices=[
            ("", _("无")),
            ("co_applicant", _("共借人")),
            ("guarantor", _("担保人")),
        ],
        required=False,
        label=_("共借人或担保人"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {**_person_fields("", primary=True), "other_role": self.fields["other_role"]}
        fields.update(_person_fields("other_", primary=False))
        self.fields = fields

    def full_clean(self):
        super().full_clean()
        # 无 (no co-applicant): what the co-applicant's fields still hold (typed before choosing
        # 无, hidden by the page's script) is neither checked nor saved
        if (
            self.is_bound
            and "other_role" not in self._errors
            and not self.cleaned_data.get("other_role")
        ):
            for name in [n for n in self.fields if n.startswith("other_") and n != "other_role"]:
                self._errors.pop(name, None)
                self.cleaned_data[name] = None

    def person(self, prefix: str) -> dict:
        """One person's data; the birth date is the ID number's (it is not asked)."""
        keys = ("name", "id_number", "mobile", "marital_status", "address")
        keys += ("employment_kind", "employer", "employment_years", "housing")
        keys += ("monthly_income", "bank_account")
        data = {k: self.cleaned_data.get(f"{prefix}{k}") for k in keys}
        id_text = str(data["id_number"] or "").strip().upper()
        try:
            data["birth_date"] = id_number_birth_date(id_text) if len(id_text) == 18 else None
        except ValueError:
            data["birth_date"] = None
        return data

    def add_error(self, field, error):
        """A birth-date error (missing, age) belongs to the ID number it comes from; once that
        field has an error, a second one about the same number adds nothing."""
        if field and field.endswith("birth_date"):
            field = field.removesuffix("birth_date") + "id_number"
            if self.has_error(field):
                return
        super().add_error(field, error)

    def primary_fields(self):
        return [f for f in self if not f.name.startswith("other_")]

    def other_fields(self):
        return [f for f in self if f.name.startswith("other_") and f.name != "other_role"]


def payee_type_ahead(kind: str) -> forms.TextInput:
    """A payee name field that offers the register's verified payees (htmx → a datalist)."""
    register_kind = PAYEE_TYPE_KIND.get(str(DEFAULT_PAYEE[kind]))
    if register_kind is None:  # paid to the dealer: not a register payee
        return forms.TextInput()
    return payee_search_input(f"payees-{kind}", register_kind)


def payee_search_input(list_id: str, register_kind: str) -> forms.TextInput:
    """The register's type-ahead on a text field: htmx fills the datalist `list_id` with the
    verified payees of `register_kind` whose name holds what is typed."""
    return forms.TextInput(
        attrs={
            "list": list_id,
            "autocomplete": "off",
            "placeholder": _("输入名称，从收款方登记簿中选择"),
            "hx-get": f"{reverse('origination:payee_search')}?kind={register_kind}",
            "hx-trigger": "focus once, keyup changed delay:300ms",
            "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML",
        }
    )


class ItemsForm(forms.Form):
    car_payee_name = forms.CharField(
        max_length=200, label=_("车款收款方（车辆销售方）"), required=False
    )

    def __init__(self, *args, dealer_channel: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if dealer_channel:
            del self.fields["car_payee_name"]
        for kind in ADD_ON_KINDS:
            label = ITEM_LABELS[kind]
            self.fields[f"{kind}_amount"] = PlainDecimalField(
                max_digits=18,
                decimal_places=2,
                min_value=0,
                required=False,
                label=_("%(item)s金额（元）") % {"item": label},
            )
            self.fields[f"{kind}_payee_type"] = forms.ChoiceField(
                choices=PayeeType.choices,
                initial=DEFAULT_PAYEE[kind],
                label=_("收款方类型"),
                required=False,
            )
            self.fields[f"{kind}_payee_name"] = forms.CharField(
                max_length=200,
                required=False,
                label=_("收款方名称"),
                widget=payee_type_ahead(kind),
            )

    def groups(self):
        return [
            (
                ITEM_LABELS[k],
                [self[f"{k}_amount"], self[f"{k}_payee_type"], self[f"{k}_payee_name"]],
            )
            for k in ADD_ON_KINDS
        ]

    def items(self) -> dict:
        return {
            kind: {
                "amount": self.cleaned_data.get(f"{kind}_amount"),
                "payee_type": self.cleaned_data.get(f"{kind}_payee_type"),
                "payee_name": self.cleaned_data.get(f"{kind}_payee_name"),
            }
            for kind in ADD_ON_KINDS
        }

    @classmethod
    def initial_from(cls, app) -> dict:
        initial = {}
        for item in app.items.all():
            if item.item_kind == "car":
                initial["car_payee_name"] = item.payee_name
                continue
            initial[f"{item.item_kind}_amount"] = item.amount
            initial[f"{item.item_kind}_payee_type"] = item.payee_type
            initial[f"{item.item_kind}_payee_name"] = item.payee_name
        return initial


class DocumentForm(forms.Form):
    doc_kind = forms.ChoiceField(choices=DocumentKind.choices, label=_("资料类型"))
    file = forms.FileField(
        label=_("文件"),
        help_text=_("PDF、JPEG、PNG 或 WebP，不超过 8 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )


class ConsentForm(forms.Form):
    def __init__(self, *args, texts: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts = texts
        labels = dict(ConsentKind.choices)
        for kind, text in texts.items():
            self.fields[kind] = forms.BooleanField(
                required=False, label=_("我已阅读并同意《%(title)s》") % {"title": labels[kind]}
            )
            self.fields[f"{kind}_version"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=text.version
            )

    def kinds(self) -> list[str]:
        return [k for k in self.texts if self.cleaned_data.get(k)]

    def versions(self) -> dict:
        return {k: self.cleaned_data.get(f"{k}_version") for k in self.texts}

    def rows(self):
        return [(self.texts[k], self[k], self[f"{k}_version"]) for k in self.texts]


class SubmitForm(forms.Form):
    form_token = forms.CharField(max_length=64, widget=forms.HiddenInput)


class SignupForm(forms.Form):
    phone = forms.CharField(
        max_length=20, label=_("手机号"), widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    code = forms.CharField(
        max_length=6,
        required=False,
        label=_("短信验证码"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    display_name = forms.CharField(max_length=100, required=False, label=_("姓名"))
    password = forms.CharField(
        required=False, label=_("设置密码"), widget=forms.PasswordInput(render_value=False)
    )


class LoginCodeForm(forms.Form):
    phone = forms.CharField(
        max_length=20,
        label=_("手机号"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        max_length=6,
        required=False,
        label=_("短信验证码"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, label=_("撤回原因"))
