"""Step 1's checks: the product, the car and the deal, with the live quote (priced at the
intake tier) whose figures the application keeps while it is a draft."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from autofin.business_date import business_date_current
from origination.models import ProductVersion
from origination.quoting.deal import AddOn, Deal, QuoteEvaluation
from origination.quoting.evaluation import quote_evaluate
from origination.quoting.vocabulary import ITEM_KIND_LABELS
from origination.selectors.products import lpr_rate_current, product_rules, regulatory_caps
from origination.services.applications.errors import errors_add
from origination.validators import validate_vin

# The indicative quote during intake is priced at this customer tier; risk sets the real one.
QUOTE_TIER = "B"
# Used cars: vehicle age at maturity (months since first registration + term) may not pass this,
# unless the product's rules snapshot names its own "max_vehicle_age_at_maturity_months".
USED_CAR_MAX_AGE_AT_MATURITY_MONTHS = 120
ADD_ON_KINDS = ("purchase_tax", "insurance", "warranty", "accessories")
# quote_evaluate's field names -> the intake form's field names
_QUOTE_FIELD = {
    "vehicle.kind": "vehicle_kind",
    "vehicle.use": "vehicle_use",
    "vehicle.first_registration_date": "first_registration_date",
    "vehicle.price": "vehicle_price",
    "down_payment": "down_payment",
    "ltv": "down_payment",
    "term_months": "term_months",
    "method": "method",
    "balloon_ratio": "balloon_ratio",
    "amount_financed": "vehicle_price",
    "tier": "term_months",
    "product": "product",
    "non_field_errors": "__all__",
}

VEHICLE_FIELDS = (
    "vehicle_brand",
    "vehicle_model",
    "vehicle_trim",
    "vehicle_kind",
    "vehicle_use",
    "vehicle_price",
    "vin",
    "mileage_km",
    "first_registration_date",
    "down_payment",
    "term_months",
    "method",
    "balloon_ratio",
)


@dataclasses.dataclass(frozen=True)
class VehicleCheck:
    data: dict
    evaluation: QuoteEvaluation | None
    errors: dict[str, list[str]]


def months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - (1 if end.day < start.day else 0)


def quote_for(
    *,
    version: ProductVersion,
    data: Mapping,
    add_ons: tuple[AddOn, ...] = (),
    value_date: dt.date | None = None,
) -> QuoteEvaluation:
    """The indicative quote for intake data on ``version`` as of the business date (the caller
    may pass the business date it has already read as ``value_date``)."""
    rules = product_rules(version=version)
    value_date = value_date or business_date_current()
    lpr = None
    if rules.rate_basis == "lpr" and rules.lpr_tenor:
        lpr = lpr_rate_current(tenor=rules.lpr_tenor, as_of=value_date)
    deal = Deal(
        vehicle_kind=data["vehicle_kind"],
        vehicle_use=data["vehicle_use"],
        vehicle_price=Decimal(data["vehicle_price"]),
        term_months=int(data["term_months"]),
        method=data["method"],
        tier=QUOTE_TIER,
        value_date=value_date,
        down_payment=Decimal(data["down_payment"]),
        balloon_ratio=data.get("balloon_ratio") if data["method"] == "balloon" else None,
        add_ons=add_ons,
        first_registration_date=data.get("first_registration_date"),
        lpr_rate=lpr.rate if lpr is not None else None,
    )
    return quote_evaluate(rules, deal, caps=regulatory_caps())


def _violations_into(errors: dict, evaluation: QuoteEvaluation) -> None:
    label_to_kind = {label: kind for kind, label in ITEM_KIND_LABELS.items()}
    for name, items in evaluation.violations.items():
        for violation in items:
            if name == "add_ons":
                kind = label_to_kind.get(str(violation.params.get("item", "")), "")
                field = f"{kind}_amount" if kind else "__all__"
            else:
                field = _QUOTE_FIELD.get(name, "__all__")
            errors_add(errors, field, violation.render(_))


def vehicle_check(
    *,
    version: ProductVersion | None,
    data: Mapping,
    add_ons: tuple[AddOn, ...] = (),
    today: dt.date | None = None,
) -> VehicleCheck:
    """Validate step 1 (and the deal's rules with ``add_ons``): every problem as a field error.
    ``today``: the business date, if the caller has read it already."""
    errors: dict[str, list[str]] = {}
    clean = {name: data.get(name) for name in VEHICLE_FIELDS}
    for name in ("vehicle_brand", "vehicle_model", "vehicle_trim"):
        clean[name] = str(clean[name] or "").strip()
    if version is None or not version.is_published or not version.product.is_active:
        errors_add(errors, "product", _("请选择一个在售的产品。"))
    required = {
        "vehicle_brand": _("请填写品牌。"),
        "vehicle_model": _("请填写车型。"),
        "vehicle_kind": _("请选择车辆类型。"),
        "vehicle_use": _("请选择车辆用途。"),
        "vehicle_price": _("请填写车价。"),
        "down_payment": _("请填写首付金额。"),
        "term_months": _("请选择期限。"),
        "method": _("请选择还款方式。"),
    }
    for name, message in required.items():
        if clean.get(name) in (None, ""):
            errors_add(errors, name, message)
    vin = str(clean.get("vin") or "").strip().upper()
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            errors_add(errors, "vin", exc.messages[0])
    clean["vin"] = vin
    used = clean.get("vehicle_kind") == "used"
    if used:
        if not vin and "vin" not in errors:
            errors_add(errors, "vin", _("二手车申请时须填写车架号。"))
        if clean.get("mileage_km") in (None, ""):
            errors_add(errors, "mileage_km", _("二手车须填写行驶里程。"))
        if not clean.get("first_registration_date"):
            errors_add(errors, "first_registration_date", _("二手车须填写首次登记日期。"))
    if clean.get("mileage_km") == "":
        clean["mileage_km"] = None
    price = clean.get("vehicle_price")
    down = clean.get("down_payment")
    if price is not None and price != "" and Decimal(price) <= 0:
        errors_add(errors, "vehicle_price", _("车价须大于 0。"))
    if down is not None and down != "" and Decimal(down) < 0:
        errors_add(errors, "down_payment", _("首付不能为负数。"))
    if clean.get("method") != "balloon":
        clean["balloon_ratio"] = None
    evaluation = None
    if not errors:
        today = today or business_date_current()
        evaluation = quote_for(version=version, data=clean, add_ons=add_ons, value_date=today)
        _violations_into(errors, evaluation)
        first_reg = clean.get("first_registration_date")
        if used and first_reg:
            limit = int(
                (version.rules or {}).get(
                    "max_vehicle_age_at_maturity_months", USED_CAR_MAX_AGE_AT_MATURITY_MONTHS
                )
            )
            age = max(months_between(first_reg, today), 0)
            term = int(clean["term_months"])
            if age + term > limit:
                errors_add(
                    errors,
                    "term_months",
                    _(
                        "车龄 %(age)s 个月加期限 %(term)s 个月为 %(total)s 个月，"
                        "超过本产品到期车龄 %(limit)s 个月的上限。"
                    )
                    % {"age": age, "term": term, "total": age + term, "limit": limit},
                )
    return VehicleCheck(data=clean, evaluation=evaluation, errors=errors)


def quote_fields(evaluation: QuoteEvaluation | None) -> dict:
    if evaluation is None or not evaluation.ok:
        return {
            "amount_financed": None,
            "ltv": None,
            "monthly_payment": None,
            "apr": None,
            "customer_rate": None,
        }
    return {
        "amount_financed": evaluation.amount_financed,
        "ltv": evaluation.ltv,
        "monthly_payment": evaluation.monthly_payment,
        "apr": evaluation.apr,
        "customer_rate": evaluation.customer_rate,
    }
