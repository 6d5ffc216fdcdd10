"""Input serializers: validate the request's shape; the product rules are checked by
``origination.quoting`` (every broken rule comes back as a field error)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from autofin.fields import PlainDecimalSerializerField
from origination.models import ItemKind, RepaymentMethod, Tier, VehicleKind, VehicleUse
from origination.quoting.deal import AddOn, Deal
from origination.selectors import product_version_for_quote

CENT = Decimal("0.01")


class VehicleInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VehicleKind.choices, label=_("车辆类型"))
    use = serializers.ChoiceField(choices=VehicleUse.choices, default="personal", label=_("用途"))
    price = PlainDecimalSerializerField(
        max_digits=18, decimal_places=2, min_value=CENT, label=_("车价")
    )
    first_registration_date = serializers.DateField(
        required=False, allow_null=True, default=None, label=_("首次登记日期")
    )


class AddOnInput(serializers.Serializer):
    item_kind = serializers.ChoiceField(choices=ItemKind.choices, label=_("附加品"))
    amount = PlainDecimalSerializerField(
        max_digits=18, decimal_places=2, min_value=CENT, label=_("金额")
    )


class QuoteInput(serializers.Serializer):
    product = serializers.CharField(max_length=40, label=_("产品"), help_text=_("产品代码或 ID"))
    vehicle = VehicleInput()
    down_payment = PlainDecimalSerializerField(
        max_digits=18, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    down_payment_ratio = PlainDecimalSerializerField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        allow_null=True,
    )
    term_months = serializers.IntegerField(min_value=1, max_value=120, label=_("期限（月）"))
    method = serializers.ChoiceField(choices=RepaymentMethod.choices, label=_("还款方式"))
    balloon_ratio = PlainDecimalSerializerField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        allow_null=True,
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices, default="B", label=_("客群分层"), help_text=_("默认 B 类")
    )
    add_ons = AddOnInput(many=True, required=False, default=list)

    def validate_product(self, value: str):
        version = product_version_for_quote(product_ref=value)
        if version is None:
            raise serializers.ValidationError(
                _("未找到产品「%(product)s」，或该产品暂无已发布的版本") % {"product": value}
            )
        return version

    def validate_add_ons(self, value: list[dict]) -> list[dict]:
        kinds = [item["item_kind"] for item in value]
        if len(kinds) != len(set(kinds)):
            raise serializers.ValidationError(_("每种附加品只能填写一次"))
        return value

    def validate(self, attrs: dict) -> dict:
        has_amount = attrs.get("down_payment") is not None
        has_ratio = attrs.get("down_payment_ratio") is not None
        if has_amount == has_ratio:
            raise serializers.ValidationError(
                {"down_payment": [_("请填写首付金额或首付比例（二选一）")]}
            )
        return attrs

    def deal(self) -> Deal:
        data = self.validated_data
        vehicle = data["vehicle"]
        return Deal(
            vehicle_kind=vehicle["kind"],
            vehicle_use=vehicle["use"],
            vehicle_price=vehicle["price"],
            first_registration_date=vehicle.get("first_registration_date"),
            term_months=data["term_months"],
            method=data["method"],
            tier=data["tier"],
            down_payment=data.get("down_payment"),
            down_payment_ratio=data.get("down_payment_ratio"),
            balloon_ratio=data.get("balloon_ratio"),
            add_ons=tuple(AddOn(a["item_kind"], a["amount"]) for a in data.get("add_ons", [])),
        )


def errors_flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one level with dotted names: {"vehicle.price": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in errors_flatten(value, name).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and errors and all(isinstance(e, (dict, list)) for e in errors):
        for index, value in enumerate(errors):
            if value:
                for k, v in errors_flatten(value, f"{prefix}.{index}").items():
                    flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat
