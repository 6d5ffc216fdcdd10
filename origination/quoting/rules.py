"""The rules of one product version: the published ``ProductVersion.rules`` JSON snapshot read
into ``ProductRules`` (``from_dict``) and written back (``as_dict``). A snapshot that cannot be
read raises ``RulesError``: a programming or data error, not a deal problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from autofin.pricing import DayCount, PricingError
from origination.quoting.vocabulary import (
    CONTRACT_TYPES,
    FEE_BASES,
    FEE_KINDS,
    ITEM_KINDS,
    LEASEBACK_TITLES,
    LPR_TENORS,
    METHOD_LABELS,
    PAYEE_TYPES,
    PURPOSES,
    RATE_BASES,
    TIERS,
    VEHICLE_KINDS,
    VEHICLE_USES,
)


class RulesError(ValueError):
    """A rules snapshot that cannot be read (a programming or data error, not a deal problem)."""


@dataclass(frozen=True, slots=True)
class LtvRule:
    vehicle_kind: str
    vehicle_use: str
    min_down_payment_ratio: Decimal
    max_ltv: Decimal


@dataclass(frozen=True, slots=True)
class FeeRule:
    fee_kind: str
    # percent (of car part + financed add-ons), fixed, or per_instalment (a fixed amount in the
    # fee column of every instalment: never financed, never paid at signing)
    basis: str
    value: Decimal
    financed: bool


@dataclass(frozen=True, slots=True)
class ItemRule:
    item_kind: str
    payee_type: str
    cap_amount: Decimal | None
    cap_ratio: Decimal | None  # of the car price


@dataclass(frozen=True, slots=True)
class SubsidyRule:
    customer_rate: Decimal
    terms: tuple[int, ...]  # empty: every term of the product
    payer: str


def _dec(value: object, name: str) -> Decimal:
    if isinstance(value, (float, bool)) or value is None:
        raise RulesError(f"{name} must be a decimal string, got {value!r}")
    try:
        result = Decimal(str(value))
    except Exception as exc:
        raise RulesError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise RulesError(f"{name} must be finite")
    return result


def _opt_dec(value: object, name: str) -> Decimal | None:
    return None if value in (None, "") else _dec(value, name)


def _choice(value: object, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise RulesError(f"{name} must be one of {choices}, got {value!r}")
    return str(value)


def _waterfall(value) -> str | tuple[str, ...]:
    if not value:
        return ()
    if value == "by_instalment":
        return value
    if isinstance(value, list | tuple) and all(isinstance(b, str) and b for b in value):
        return tuple(value)
    raise RulesError(f"waterfall must be 'by_instalment' or a list of buckets, got {value!r}")


def _waterfall_json(value: str | tuple[str, ...]) -> str | list[str]:
    return value if isinstance(value, str) else list(value)


def _rates_from(entries, rate_basis: str) -> dict[tuple[int, str], Decimal]:
    """(term, tier) -> the annual rate (fixed) or the spread over the LPR in basis points."""
    rates: dict[tuple[int, str], Decimal] = {}
    for entry in entries:
        key = (int(entry["term_months"]), _choice(entry["tier"], TIERS, "tier"))
        if rate_basis == "fixed":
            rates[key] = _dec(entry["annual_rate"], "annual_rate")
        else:
            rates[key] = _dec(entry["spread_bps"], "spread_bps")
    return rates


def _ltv_rule_from(r: Mapping) -> LtvRule:
    return LtvRule(
        vehicle_kind=_choice(r["vehicle_kind"], VEHICLE_KINDS, "vehicle_kind"),
        vehicle_use=_choice(r["vehicle_use"], VEHICLE_USES, "vehicle_use"),
        min_down_payment_ratio=_dec(r["min_down_payment_ratio"], "min_down_payment_ratio"),
        max_ltv=_dec(r["max_ltv"], "max_ltv"),
    )


def _fee_rule_from(f: Mapping) -> FeeRule:
    return FeeRule(
        fee_kind=_choice(f["fee_kind"], FEE_KINDS, "fee_kind"),
        basis=_choice(f["basis"], FEE_BASES, "basis"),
        value=_dec(f["value"], "fee value"),
        financed=bool(f["financed"]),
    )


def _subsidy_from(subsidy: Mapping | None) -> SubsidyRule | None:
    if not subsidy:
        return None
    return SubsidyRule(
        customer_rate=_dec(subsidy["customer_rate"], "subsidy customer_rate"),
        terms=tuple(int(t) for t in subsidy.get("terms") or ()),
        payer=str(subsidy.get("payer", "")),
    )


def _item_rule_from(i: Mapping) -> ItemRule:
    return ItemRule(
        item_kind=_choice(i["item_kind"], ITEM_KINDS, "item_kind"),
        payee_type=_choice(i["payee_type"], PAYEE_TYPES, "payee_type"),
        cap_amount=_opt_dec(i.get("cap_amount"), "cap_amount"),
        cap_ratio=_opt_dec(i.get("cap_ratio"), "cap_ratio"),
    )


@dataclass(frozen=True, slots=True)
class ProductRules:
    """The rules of one product version. ``as_dict`` / ``from_dict`` round-trip the JSON."""

    product_code: str
    product_name: str
    version: int
    vehicle_kind: str  # the product line
    contract_type: str
    secured: bool
    terms: tuple[int, ...]
    max_term_months: int
    methods: tuple[str, ...]
    balloon_ratio_min: Decimal | None
    balloon_ratio_max: Decimal | None
    ltv_rules: tuple[LtvRule, ...]
    amount_min: Decimal
    amount_max: Decimal
    day_count: str
    rate_basis: str
    lpr_tenor: str | None
    # fixed: (term, tier) -> annual rate; lpr: (term, tier) -> spread in basis points
    rates: Mapping[tuple[int, str], Decimal]
    fees: tuple[FeeRule, ...]
    penalty_markup: Decimal
    lock_in_months: int
    early_settlement_fee_rate: Decimal
    subsidy: SubsidyRule | None
    financed_items: tuple[ItemRule, ...]
    # servicing's allocation order for repayments: () the default, "by_instalment", or buckets
    waterfall: str | tuple[str, ...] = ()
    # a sale-leaseback's car: "transfer" (title to the lessor) or "mortgage" (registered to it)
    leaseback_title: str = ""
    # "vehicle", or a purpose product without the car's rules (maintenance, insurance renewal)
    purpose: str = "vehicle"

    @property
    def finances_vehicle(self) -> bool:
        return self.purpose == "vehicle"

    @classmethod
    def from_dict(cls, data: Mapping) -> ProductRules:
        try:
            rate_basis = _choice(data.get("rate_basis", "fixed"), RATE_BASES, "rate_basis")
            rates = _rates_from(data["rates"], rate_basis)
            return cls(
                product_code=str(data.get("product_code", "")),
                product_name=str(data.get("product_name", "")),
                version=int(data.get("version", 0)),
                vehicle_kind=_choice(data["vehicle_kind"], VEHICLE_KINDS, "vehicle_kind"),
                contract_type=_choice(data["contract_type"], CONTRACT_TYPES, "contract_type"),
                secured=bool(data.get("secured", True)),
                terms=tuple(sorted(int(t) for t in data["terms"])),
                max_term_months=int(data["max_term_months"]),
                methods=tuple(_choice(m, tuple(METHOD_LABELS), "method") for m in data["methods"]),
                balloon_ratio_min=_opt_dec(data.get("balloon_ratio_min"), "balloon_ratio_min"),
                balloon_ratio_max=_opt_dec(data.get("balloon_ratio_max"), "balloon_ratio_max"),
                ltv_rules=tuple(_ltv_rule_from(r) for r in data["ltv_rules"]),
                amount_min=_dec(data["amount_min"], "amount_min"),
                amount_max=_dec(data["amount_max"], "amount_max"),
                day_count=DayCount.parse(data.get("day_count", "30/360")).value,
                rate_basis=rate_basis,
                lpr_tenor=(
                    _choice(data.get("lpr_tenor"), LPR_TENORS, "lpr_tenor")
                    if rate_basis == "lpr"
                    else None
                ),
                rates=rates,
                fees=tuple(_fee_rule_from(f) for f in data.get("fees", ())),
                penalty_markup=_dec(data.get("penalty_markup", "0.5"), "penalty_markup"),
                lock_in_months=int(data.get("lock_in_months", 0)),
                early_settlement_fee_rate=_dec(
                    data.get("early_settlement_fee_rate", "0"), "early_settlement_fee_rate"
                ),
                subsidy=_subsidy_from(data.get("subsidy")),
                financed_items=tuple(_item_rule_from(i) for i in data.get("financed_items", ())),
                waterfall=_waterfall(data.get("waterfall")),
                leaseback_title=(
                    _choice(data.get("leaseback_title"), LEASEBACK_TITLES, "leaseback_title")
                    if data.get("leaseback_title")
                    else ""
                ),
                purpose=_choice(data.get("purpose") or "vehicle", PURPOSES, "purpose"),
            )
        except RulesError:
            raise
        except (KeyError, TypeError, ValueError, PricingError) as exc:
            raise RulesError(f"unreadable product rules: {exc!r}") from exc

    def as_dict(self) -> dict:
        def s(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        rate_key = "annual_rate" if self.rate_basis == "fixed" else "spread_bps"
        return {
            "product_code": self.product_code,
            "product_name": self.product_name,
            "version": self.version,
            "vehicle_kind": self.vehicle_kind,
            "contract_type": self.contract_type,
            "secured": self.secured,
            "terms": list(self.terms),
            "max_term_months": self.max_term_months,
            "methods": list(self.methods),
            "balloon_ratio_min": s(self.balloon_ratio_min),
            "balloon_ratio_max": s(self.balloon_ratio_max),
            "ltv_rules": [
                {
                    "vehicle_kind": r.vehicle_kind,
                    "vehicle_use": r.vehicle_use,
                    "min_down_payment_ratio": s(r.min_down_payment_ratio),
                    "max_ltv": s(r.max_ltv),
                }
                for r in self.ltv_rules
            ],
            "amount_min": s(self.amount_min),
            "amount_max": s(self.amount_max),
            "day_count": self.day_count,
            "rate_basis": self.rate_basis,
            "lpr_tenor": self.lpr_tenor,
            "rates": [
                {"term_months": term, "tier": tier, rate_key: s(value)}
                for (term, tier), value in sorted(self.rates.items())
            ],
            "fees": [
                {
                    "fee_kind": f.fee_kind,
                    "basis": f.basis,
                    "value": s(f.value),
                    "financed": f.financed,
                }
                for f in self.fees
            ],
            "penalty_markup": s(self.penalty_markup),
            "lock_in_months": self.lock_in_months,
            "early_settlement_fee_rate": s(self.early_settlement_fee_rate),
            "subsidy": (
                {
                    "customer_rate": s(self.subsidy.customer_rate),
                    "terms": list(self.subsidy.terms),
                    "payer": self.subsidy.payer,
                }
                if self.subsidy
                else None
            ),
            "financed_items": [
                {
                    "item_kind": i.item_kind,
                    "payee_type": i.payee_type,
                    "cap_amount": s(i.cap_amount),
                    "cap_ratio": s(i.cap_ratio),
                }
                for i in self.financed_items
            ],
            # only when set: snapshots of products without one keep their shape
            **({"waterfall": _waterfall_json(self.waterfall)} if self.waterfall else {}),
            **({"leaseback_title": self.leaseback_title} if self.leaseback_title else {}),
            **({"purpose": self.purpose} if self.purpose != "vehicle" else {}),
        }

    def ltv_rule(self, vehicle_kind: str, vehicle_use: str) -> LtvRule | None:
        for rule in self.ltv_rules:
            if rule.vehicle_kind == vehicle_kind and rule.vehicle_use == vehicle_use:
                return rule
        return None

    def subsidised(self, term_months: int) -> bool:
        return self.subsidy is not None and (
            not self.subsidy.terms or term_months in self.subsidy.terms
        )


def rules_parse(rules: ProductRules | Mapping) -> ProductRules:
    return rules if isinstance(rules, ProductRules) else ProductRules.from_dict(rules)
