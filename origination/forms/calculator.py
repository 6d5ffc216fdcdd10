"""Forms of the calculator page (three options side by side) and the product pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from autofin.units import term_periods
from autofin.widgets import UserDataSelect
from origination.models import RepaymentMethod, VehicleUse
from origination.quoting.deal import Deal

OPTIONS = (1, 2, 3)
TERM_CHOICES = [(t, term_periods(t)) for t in (6, 12, 18, 24, 36, 48, 60)]
DEFAULT_TERMS = {1: 24, 2: 36, 3: 60}
DEFAULT_DOWN = {1: 20, 2: 30, 3: 30}
DEFAULT_PRICE = Decimal("200000.00")
CALCULATOR_TIER = "B"  # the public calculator prices a standard (B) customer


class CalculatorForm(forms.Form):
    """Shared car price and use, then per option: product, down payment %, term, method,
    balloon %. Field names are short (``p1``, ``d1`` ...) because they travel in the URL."""

    price = PlainDecimalField(
        label=_("车价（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("1000"),
        max_value=Decimal("10000000"),
        initial=DEFAULT_PRICE,
        # any amount (15.88万 = 158800.00): a step would make the browser refuse it silently
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    use = forms.ChoiceField(label=_("车辆用途"), choices=VehicleUse.choices, initial="personal")
    first_registration_date = forms.DateField(
        label=_("首次登记日期（二手车）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, products: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {v.product.code: v for v in products}
        product_choices = [(v.product.code, v.product.name) for v in products]
        first = product_choices[0][0] if product_choices else ""
        for i in OPTIONS:
            self.fields[f"p{i}"] = forms.ChoiceField(
                label=_("产品"), choices=product_choices, initial=first, widget=UserDataSelect
            )
            self.fields[f"d{i}"] = forms.IntegerField(
                label=_("首付比例"),
                min_value=0,
                max_value=90,
                initial=DEFAULT_DOWN[i],
                widget=forms.NumberInput(attrs={"type": "range", "step": "5"}),
            )
            self.fields[f"t{i}"] = forms.TypedChoiceField(
                label=_("期限"), choices=TERM_CHOICES, coerce=int, initial=DEFAULT_TERMS[i]
            )
            self.fields[f"m{i}"] = forms.ChoiceField(
                label=_("还款方式"),
                choices=RepaymentMethod.choices,
                initial=RepaymentMethod.EQUAL_INSTALMENT,
            )
            self.fields[f"b{i}"] = forms.IntegerField(
                label=_("尾款比例（%）"),
                min_value=0,
                max_value=90,
                initial=30,
                required=False,
            )

    @classmethod
    def initial_data(cls, products: list) -> dict:
        """The defaults as submitted data (the page prices them on first load)."""
        form = cls(products=products)
        return {name: field.initial for name, field in form.fields.items() if field.initial}

    def option_fields(self, i: int) -> dict:
        return {key: self[f"{key}{i}"] for key in ("p", "d", "t", "m", "b")}

    def option_deal(self, i: int):
        """(product version, Deal) for option ``i`` of a valid form."""
        data = self.cleaned_data
        version = self.products[data[f"p{i}"]]
        method = data[f"m{i}"]
        balloon = data.get(f"b{i}")
        deal = Deal(
            vehicle_kind=version.product.vehicle_kind,
            vehicle_use=data["use"],
            vehicle_price=data["price"],
            first_registration_date=data.get("first_registration_date"),
            term_months=data[f"t{i}"],
            method=method,
            tier=CALCULATOR_TIER,
            down_payment_ratio=Decimal(data[f"d{i}"]) / 100,
            balloon_ratio=(
                Decimal(balloon) / 100 if method == "balloon" and balloon is not None else None
            ),
        )
        return version, deal
