"""The quotes API's serializers. Input: the request's shape only; the product rules are
checked by ``origination.quoting`` (every broken rule comes back as a field error). Output:
the saved quote, section by section."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from autofin.fields import PlainDecimalSerializerField
from autofin.pricing import apr_percent
from origination.models import (
    FeeKind,
    ItemKind,
    Quote,
    RepaymentMethod,
    Tier,
    VehicleKind,
    VehicleUse,
)
from origination.quoting.deal import AddOn, Deal
from origination.selectors.products import product_version_for_quote

CENT = Decimal("0.01")
APR_LABEL = _("年化利率（IRR 法，依据中国人民银行公告〔2021〕第 3 号）")


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


class QuoteOutput(serializers.Serializer):
    """A saved quote: the deal, the amounts, the rates and APR, the totals, the schedule and the
    links to its documents."""

    def to_representation(self, quote: Quote) -> dict:
        version = quote.product_version
        product = version.product
        request = self.context.get("request")

        def url(name: str) -> str:
            path = reverse(name, kwargs={"reference": quote.reference})
            return request.build_absolute_uri(path) if request is not None else path

        return {
            "id": str(quote.reference),
            "url": url("api-quotes-detail"),
            "created_at": quote.created_at.isoformat(),
            "product": {
                "id": product.pk,
                "code": product.code,
                "name": product.name,
                "contract_type": product.contract_type,
                "secured": product.secured,
            },
            "product_version": {"id": version.pk, "number": version.number},
            **_deal(quote),
            "fees": _fees(quote),
            "amount_financed": str(quote.amount_financed),
            "rates": _rates(quote, version.rules),
            "apr": {
                "value": str(quote.apr),
                "percent": str(apr_percent(quote.apr)),
                "method": quote.apr_method,
                "label": str(APR_LABEL),
            },
            "early_settlement": {
                "lock_in_months": version.rules.get("lock_in_months"),
                "fee_rate": version.rules.get("early_settlement_fee_rate"),
            },
            "totals": {
                "monthly_payment": str(quote.monthly_payment),
                "total_interest": str(quote.total_interest),
                "total_payable": str(quote.total_payable),
                "instalments": len(quote.schedule),
            },
            "schedule": quote.schedule,
            "documents": {
                "csv": url("origination:quote_schedule_csv"),
                "pdf": url("origination:quote_schedule_pdf"),
            },
        }


def _deal(quote: Quote) -> dict:
    """The car, the down payment, the term and method, the add-ons: what the customer asked."""
    return {
        "vehicle": {
            "kind": quote.vehicle_kind,
            "use": quote.vehicle_use,
            "price": str(quote.vehicle_price),
            "first_registration_date": (
                quote.first_registration_date.isoformat() if quote.first_registration_date else None
            ),
        },
        "down_payment": str(quote.down_payment),
        "down_payment_ratio": str(quote.down_payment_ratio),
        "ltv": str(quote.ltv),
        "term_months": quote.term_months,
        "method": quote.method,
        "method_label": str(RepaymentMethod(quote.method).label),
        "balloon_ratio": None if quote.balloon_ratio is None else str(quote.balloon_ratio),
        "balloon_amount": str(quote.balloon_amount),
        "tier": quote.tier,
        "add_ons": quote.add_ons,
        "value_date": quote.value_date.isoformat(),
        "vehicle_amount_financed": str(quote.vehicle_amount_financed),
        "add_ons_total": str(quote.add_ons_total),
    }


def _fees(quote: Quote) -> dict:
    return {
        "items": [{**fee, "label": str(FeeKind(fee["fee_kind"]).label)} for fee in quote.fees],
        "financed_total": str(quote.financed_fees),
        "upfront_total": str(quote.upfront_fees),
    }


def _rates(quote: Quote, rules: dict) -> dict:
    """The customer's rate, the lender's yield (a subsidy is the gap), the LPR behind an
    LPR-priced rate, the penalty rate and the day count."""
    return {
        "customer_rate": str(quote.customer_rate),
        "lender_yield": str(quote.lender_rate),
        "subsidised": quote.customer_rate < quote.lender_rate,
        "subsidy_amount": str(quote.subsidy_amount),
        "subsidy_payer": (rules.get("subsidy") or {}).get("payer") or None,
        "lpr": (
            {
                "tenor": rules.get("lpr_tenor"),
                "rate": str(quote.lpr_rate),
                "effective_date": quote.lpr_effective_date.isoformat(),
            }
            if quote.lpr_rate is not None
            else None
        ),
        "penalty_rate": str(quote.penalty_rate),
        "day_count": quote.day_count,
    }
