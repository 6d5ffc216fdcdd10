"""Quote evaluation: a product version's rules + a deal -> schedule, APR, fees and violations.

Pure Python: imports only ``autofin.pricing`` and the standard library, so the risk app's
counter-offer logic and tests can use the very same rules without a database.

    evaluation = quote_evaluate(rules, deal, caps=RegulatoryCaps())
    schedule, apr, fees, violations = evaluation   # the four headline results
    evaluation.amount_financed, evaluation.customer_rate, ...  # every other figure

``rules`` is a published ``ProductVersion.rules`` snapshot (a JSON dict, see ``ProductRules``) or
a parsed ``ProductRules``. Every rule the deal breaks becomes a ``Violation`` under the name of
the request field it concerns; the schedule is only priced when there is none.

Messages are Chinese msgids (marked with ``gettext_noop`` so ``makemessages`` finds them) with
named ``%(...)s`` parameters that already carry the figures; the Django layer translates the
template and interpolates the parameters (``Violation.render``).

Definitions (glossary): LTV is the car's part of the amount financed ÷ the car price; the amount
financed is car price − down payment + financed add-ons + financed fees. Percentage fees are a
percentage of the car's part plus the financed add-ons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from autofin.pricing import (
    APR_METHOD,
    DayCount,
    Method,
    PricingError,
    Schedule,
    apr_irr,
    build_schedule,
    penalty_markup_allowed,
    penalty_rate,
    quantize_rate,
    subsidy_amount,
)


def gettext_noop(message: str) -> str:
    """Marks a msgid for extraction; the Django layer translates it when rendering."""
    return message


FEN = Decimal("0.01")
ZERO = Decimal("0.00")

VEHICLE_KINDS = ("new", "used", "nev", "commercial")
VEHICLE_USES = ("personal", "commercial")
CONTRACT_TYPES = ("loan", "direct_lease", "sale_leaseback")
TIERS = ("A", "B", "C", "D")
FEE_KINDS = ("handling", "gps", "mortgage_registration")
FEE_BASES = ("percent", "fixed", "per_instalment")
ITEM_KINDS = ("purchase_tax", "insurance", "warranty", "accessories")
PAYEE_TYPES = ("tax_authority", "insurer", "dealer", "warranty_provider")
RATE_BASES = ("fixed", "lpr")
LPR_TENORS = ("1y", "5y")

VEHICLE_KIND_LABELS = {
    "new": gettext_noop("新车"),
    "used": gettext_noop("二手车"),
    "nev": gettext_noop("新能源车"),
    "commercial": gettext_noop("商用车"),
}
VEHICLE_USE_LABELS = {"personal": gettext_noop("自用"), "commercial": gettext_noop("营运")}
METHOD_LABELS = {
    "equal_instalment": gettext_noop("等额本息"),
    "equal_principal": gettext_noop("等额本金"),
    "interest_only": gettext_noop("先息后本"),
    "balloon": gettext_noop("弹性尾款"),
}
FEE_KIND_LABELS = {
    "handling": gettext_noop("手续费"),
    "gps": gettext_noop("GPS 费"),
    "mortgage_registration": gettext_noop("抵押登记费"),
}
ITEM_KIND_LABELS = {
    "purchase_tax": gettext_noop("购置税"),
    "insurance": gettext_noop("保险"),
    "warranty": gettext_noop("延保"),
    "accessories": gettext_noop("精品加装"),
}


class RulesError(ValueError):
    """A rules snapshot that cannot be read (a programming or data error, not a deal problem)."""


# --------------------------------------------------------------------------------------------
# Formatting of the figures that messages name
# --------------------------------------------------------------------------------------------


def percent_text(ratio: Decimal) -> str:
    """0.15 -> '15%', 0.125 -> '12.5%', 0.0588 -> '5.88%' (at most two decimals, half-up)."""
    value = (ratio * 100).quantize(FEN, rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def cny_text(amount: Decimal) -> str:
    """12345.6 -> '¥12,345.60'."""
    value = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    return f"{'-' if value < 0 else ''}¥{abs(value):,.2f}"


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Violations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the request field it concerns, a stable code and a message template."""

    field: str
    code: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = gettext_noop) -> str:
        """The message with its figures. ``translate`` is ``gettext`` in Django; string params
        that are msgids themselves (labels such as 新车) are translated too."""
        params = {k: translate(v) if isinstance(v, str) else v for k, v in self.params.items()}
        return translate(self.template) % params

    def __str__(self) -> str:
        return self.render()


Violations = dict[str, list[Violation]]


def _add(violations: Violations, fld: str, code: str, template: str, **params: object) -> None:
    violations.setdefault(fld, []).append(Violation(fld, code, template, params))


# --------------------------------------------------------------------------------------------
# Regulatory caps
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegulatoryCaps:
    """Regulatory defaults (editable in the RegulatoryLimits model), enforced on every quote."""

    max_term_months: int = 60
    max_term_months_used: int = 36
    ltv_personal: Decimal = Decimal("0.80")
    ltv_nev_personal: Decimal = Decimal("0.85")
    ltv_commercial: Decimal = Decimal("0.70")
    ltv_nev_commercial: Decimal = Decimal("0.75")
    ltv_used: Decimal = Decimal("0.70")

    def term_cap(self, vehicle_kind: str) -> tuple[int, str]:
        """(cap, category label) for the vehicle kind."""
        if vehicle_kind == "used":
            return self.max_term_months_used, gettext_noop("二手车")
        return self.max_term_months, gettext_noop("汽车贷款")

    def ltv_cap(self, vehicle_kind: str, vehicle_use: str) -> tuple[Decimal, str]:
        """(cap, category label): used cars 70 %; NEV 85 % self-use / 75 % commercial use;
        commercial vehicles and commercial use 70 %; other self-use 80 %."""
        if vehicle_kind == "used":
            return self.ltv_used, gettext_noop("二手车")
        if vehicle_kind == "nev":
            if vehicle_use == "commercial":
                return self.ltv_nev_commercial, gettext_noop("新能源车营运")
            return self.ltv_nev_personal, gettext_noop("新能源车自用")
        if vehicle_kind == "commercial" or vehicle_use == "commercial":
            return self.ltv_commercial, gettext_noop("商用车及营运车辆")
        return self.ltv_personal, gettext_noop("自用车")


# --------------------------------------------------------------------------------------------
# Product rules (the published snapshot)
# --------------------------------------------------------------------------------------------


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

    @classmethod
    def from_dict(cls, data: Mapping) -> ProductRules:
        try:
            rate_basis = _choice(data.get("rate_basis", "fixed"), RATE_BASES, "rate_basis")
            rates: dict[tuple[int, str], Decimal] = {}
            for entry in data["rates"]:
                key = (int(entry["term_months"]), _choice(entry["tier"], TIERS, "tier"))
                if rate_basis == "fixed":
                    rates[key] = _dec(entry["annual_rate"], "annual_rate")
                else:
                    rates[key] = _dec(entry["spread_bps"], "spread_bps")
            subsidy = data.get("subsidy")
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
                ltv_rules=tuple(
                    LtvRule(
                        vehicle_kind=_choice(r["vehicle_kind"], VEHICLE_KINDS, "vehicle_kind"),
                        vehicle_use=_choice(r["vehicle_use"], VEHICLE_USES, "vehicle_use"),
                        min_down_payment_ratio=_dec(
                            r["min_down_payment_ratio"], "min_down_payment_ratio"
                        ),
                        max_ltv=_dec(r["max_ltv"], "max_ltv"),
                    )
                    for r in data["ltv_rules"]
                ),
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
                fees=tuple(
                    FeeRule(
                        fee_kind=_choice(f["fee_kind"], FEE_KINDS, "fee_kind"),
                        basis=_choice(f["basis"], FEE_BASES, "basis"),
                        value=_dec(f["value"], "fee value"),
                        financed=bool(f["financed"]),
                    )
                    for f in data.get("fees", ())
                ),
                penalty_markup=_dec(data.get("penalty_markup", "0.5"), "penalty_markup"),
                lock_in_months=int(data.get("lock_in_months", 0)),
                early_settlement_fee_rate=_dec(
                    data.get("early_settlement_fee_rate", "0"), "early_settlement_fee_rate"
                ),
                subsidy=(
                    SubsidyRule(
                        customer_rate=_dec(subsidy["customer_rate"], "subsidy customer_rate"),
                        terms=tuple(int(t) for t in subsidy.get("terms") or ()),
                        payer=str(subsidy.get("payer", "")),
                    )
                    if subsidy
                    else None
                ),
                financed_items=tuple(
                    ItemRule(
                        item_kind=_choice(i["item_kind"], ITEM_KINDS, "item_kind"),
                        payee_type=_choice(i["payee_type"], PAYEE_TYPES, "payee_type"),
                        cap_amount=_opt_dec(i.get("cap_amount"), "cap_amount"),
                        cap_ratio=_opt_dec(i.get("cap_ratio"), "cap_ratio"),
                    )
                    for i in data.get("financed_items", ())
                ),
                waterfall=_waterfall(data.get("waterfall")),
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


# --------------------------------------------------------------------------------------------
# The deal and the evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddOn:
    item_kind: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Deal:
    """What the customer asks for. Give ``down_payment`` or ``down_payment_ratio``.

    ``lpr_rate`` is the loan prime rate in force for the product's tenor (the caller looks it
    up; only LPR-linked products need it)."""

    vehicle_kind: str
    vehicle_use: str
    vehicle_price: Decimal
    term_months: int
    method: str
    tier: str
    value_date: date | None = None  # required; services fill in the business date
    down_payment: Decimal | None = None
    down_payment_ratio: Decimal | None = None
    balloon_ratio: Decimal | None = None
    add_ons: tuple[AddOn, ...] = ()
    first_registration_date: date | None = None
    lpr_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FeeLine:
    fee_kind: str
    amount: Decimal  # per instalment when per_instalment
    financed: bool
    per_instalment: bool = False


@dataclass(frozen=True)
class QuoteEvaluation:
    """Every figure of a quote. Unpacks as ``schedule, apr, fees, violations``."""

    schedule: Schedule | None
    apr: Decimal | None
    fees: tuple[FeeLine, ...]
    violations: Violations
    down_payment: Decimal | None = None
    down_payment_ratio: Decimal | None = None  # 4 places, half-up
    vehicle_amount_financed: Decimal | None = None  # the car's part
    ltv: Decimal | None = None  # 4 places, half-up
    add_ons_total: Decimal = ZERO
    financed_fees: Decimal = ZERO
    upfront_fees: Decimal = ZERO
    amount_financed: Decimal | None = None
    balloon_amount: Decimal = ZERO
    customer_rate: Decimal | None = None
    lender_rate: Decimal | None = None  # the lender's yield; above customer_rate when subsidised
    subsidy_amount: Decimal = ZERO
    penalty_rate: Decimal | None = None
    apr_method: str = APR_METHOD

    def __iter__(self) -> Iterator:
        return iter((self.schedule, self.apr, self.fees, self.violations))

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def monthly_payment(self) -> Decimal | None:
        """The first instalment (level for equal instalments; the largest for equal principal)."""
        return self.schedule.rows[0].instalment if self.schedule else None


# --------------------------------------------------------------------------------------------
# quote_evaluate
# --------------------------------------------------------------------------------------------


def quote_evaluate(
    rules: ProductRules | Mapping, deal: Deal, *, caps: RegulatoryCaps | None = None
) -> QuoteEvaluation:
    """Check ``deal`` against the product ``rules`` and the regulatory ``caps`` and, when it
    breaks none, price it. Never raises for a bad deal: every problem is a violation."""
    rules = rules_parse(rules)
    caps = caps or RegulatoryCaps()
    if deal.value_date is None:
        raise ValueError("deal.value_date is required")
    v: Violations = {}
    kind, use, price, term = (
        deal.vehicle_kind,
        deal.vehicle_use,
        deal.vehicle_price,
        deal.term_months,
    )

    # The vehicle -------------------------------------------------------------------------
    ltv_rule = rules.ltv_rule(kind, use)
    if ltv_rule is None:
        if not any(r.vehicle_kind == kind for r in rules.ltv_rules):
            _add(
                v,
                "vehicle.kind",
                "vehicle_kind_not_offered",
                gettext_noop("本产品不适用于%(kind)s"),
                kind=VEHICLE_KIND_LABELS.get(kind, kind),
            )
        else:
            _add(
                v,
                "vehicle.use",
                "vehicle_use_not_offered",
                gettext_noop("本产品不适用于%(use)s的%(kind)s"),
                use=VEHICLE_USE_LABELS.get(use, use),
                kind=VEHICLE_KIND_LABELS.get(kind, kind),
            )
    if kind == "used":
        if deal.first_registration_date is None:
            _add(
                v,
                "vehicle.first_registration_date",
                "required",
                gettext_noop("二手车须填写首次登记日期"),
            )
        elif deal.first_registration_date > deal.value_date:
            _add(
                v,
                "vehicle.first_registration_date",
                "in_future",
                gettext_noop("首次登记日期 %(date)s 晚于今天"),
                date=deal.first_registration_date.isoformat(),
            )

    # Down payment and LTV -------------------------------------------------------------------
    if deal.down_payment is not None:
        down = fen(deal.down_payment)
    else:
        down = fen(price * (deal.down_payment_ratio or ZERO))
    car_part = price - down
    down_ratio = (down / price).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    ltv = (car_part / price).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if car_part <= 0:
        _add(
            v,
            "down_payment",
            "down_payment_too_high",
            gettext_noop("首付 %(down)s 不能达到或超过车价 %(price)s"),
            down=cny_text(down),
            price=cny_text(price),
        )
    if ltv_rule is not None:
        if down < price * ltv_rule.min_down_payment_ratio:
            _add(
                v,
                "down_payment",
                "down_payment_below_minimum",
                gettext_noop("首付比例 %(ratio)s 低于本产品 %(minimum)s 的最低要求"),
                ratio=percent_text(down / price),
                minimum=percent_text(ltv_rule.min_down_payment_ratio),
            )
        if car_part > price * ltv_rule.max_ltv:
            _add(
                v,
                "ltv",
                "ltv_above_product_maximum",
                gettext_noop("贷款价值比 %(ltv)s 超过本产品 %(maximum)s 的上限"),
                ltv=percent_text(car_part / price),
                maximum=percent_text(ltv_rule.max_ltv),
            )
    reg_ltv, reg_ltv_label = caps.ltv_cap(kind, use)
    product_ltv = ltv_rule.max_ltv if ltv_rule else None
    if car_part > price * reg_ltv and (product_ltv is None or reg_ltv < product_ltv):
        _add(
            v,
            "ltv",
            "ltv_above_regulatory_cap",
            gettext_noop("贷款价值比 %(ltv)s 超过%(category)s %(maximum)s 的监管上限"),
            ltv=percent_text(car_part / price),
            category=reg_ltv_label,
            maximum=percent_text(reg_ltv),
        )

    # Term -------------------------------------------------------------------------------------
    if term not in rules.terms:
        _add(
            v,
            "term_months",
            "term_not_offered",
            gettext_noop("期限 %(term)s 个月不在本产品可选期限（%(allowed)s 个月）内"),
            term=term,
            allowed="/".join(str(t) for t in rules.terms),
        )
    if term > rules.max_term_months:
        _add(
            v,
            "term_months",
            "term_above_product_maximum",
            gettext_noop("期限 %(term)s 个月超过本产品最长 %(maximum)s 个月"),
            term=term,
            maximum=rules.max_term_months,
        )
    reg_term, reg_term_label = caps.term_cap(kind)
    if term > reg_term and reg_term < rules.max_term_months:
        _add(
            v,
            "term_months",
            "term_above_regulatory_cap",
            gettext_noop("期限 %(term)s 个月超过%(category)s最长 %(maximum)s 个月的监管上限"),
            term=term,
            category=reg_term_label,
            maximum=reg_term,
        )

    # Method and balloon -------------------------------------------------------------------
    if deal.method not in rules.methods:
        _add(
            v,
            "method",
            "method_not_offered",
            gettext_noop("本产品不提供「%(method)s」还款方式"),
            method=METHOD_LABELS.get(deal.method, deal.method),
        )
    balloon = ZERO
    if deal.method == "balloon":
        ratio = deal.balloon_ratio
        low, high = rules.balloon_ratio_min, rules.balloon_ratio_max
        if ratio is None or ratio <= 0:
            _add(v, "balloon_ratio", "required", gettext_noop("弹性尾款方式须填写尾款比例"))
        else:
            if low is not None and high is not None and not low <= ratio <= high:
                _add(
                    v,
                    "balloon_ratio",
                    "balloon_ratio_out_of_range",
                    gettext_noop("尾款比例 %(ratio)s 不在本产品 %(minimum)s–%(maximum)s 的范围内"),
                    ratio=percent_text(ratio),
                    minimum=percent_text(low),
                    maximum=percent_text(high),
                )
            balloon = fen(price * ratio)
    elif deal.balloon_ratio:
        _add(
            v,
            "balloon_ratio",
            "balloon_not_allowed",
            gettext_noop("只有弹性尾款方式才能设置尾款比例"),
        )

    # Add-ons --------------------------------------------------------------------------------
    items = {i.item_kind: i for i in rules.financed_items}
    add_ons_total = ZERO
    for add_on in deal.add_ons:
        label = ITEM_KIND_LABELS.get(add_on.item_kind, add_on.item_kind)
        rule = items.get(add_on.item_kind)
        add_ons_total += add_on.amount
        if rule is None:
            _add(
                v,
                "add_ons",
                "add_on_not_offered",
                gettext_noop("本产品不提供「%(item)s」融资"),
                item=label,
            )
            continue
        if rule.cap_amount is not None and add_on.amount > rule.cap_amount:
            _add(
                v,
                "add_ons",
                "add_on_above_cap",
                gettext_noop("「%(item)s」融资额 %(amount)s 超过上限 %(cap)s"),
                item=label,
                amount=cny_text(add_on.amount),
                cap=cny_text(rule.cap_amount),
            )
        if rule.cap_ratio is not None and add_on.amount > price * rule.cap_ratio:
            _add(
                v,
                "add_ons",
                "add_on_above_price_ratio",
                gettext_noop("「%(item)s」融资额 %(amount)s 超过车价的 %(ratio)s（%(cap)s）"),
                item=label,
                amount=cny_text(add_on.amount),
                ratio=percent_text(rule.cap_ratio),
                cap=cny_text(fen(price * rule.cap_ratio)),
            )

    # Fees and the amount financed -------------------------------------------------------------
    fee_base = max(car_part, ZERO) + add_ons_total
    fees = tuple(
        FeeLine(
            f.fee_kind,
            fen(fee_base * f.value) if f.basis == "percent" else fen(f.value),
            f.financed and f.basis != "per_instalment",
            per_instalment=f.basis == "per_instalment",
        )
        for f in rules.fees
    )
    fee_per_instalment = sum((f.amount for f in fees if f.per_instalment), ZERO)
    financed_fees = sum((f.amount for f in fees if f.financed), ZERO)
    upfront_fees = sum((f.amount for f in fees if not f.financed and not f.per_instalment), ZERO)
    amount_financed = fee_base + financed_fees
    if amount_financed < rules.amount_min:
        _add(
            v,
            "amount_financed",
            "amount_below_minimum",
            gettext_noop("融资额 %(amount)s 低于本产品最低 %(minimum)s"),
            amount=cny_text(amount_financed),
            minimum=cny_text(rules.amount_min),
        )
    elif amount_financed > rules.amount_max:
        _add(
            v,
            "amount_financed",
            "amount_above_maximum",
            gettext_noop("融资额 %(amount)s 超过本产品最高 %(maximum)s"),
            amount=cny_text(amount_financed),
            maximum=cny_text(rules.amount_max),
        )
    if deal.method == "balloon" and balloon > 0 and balloon >= amount_financed:
        _add(
            v,
            "balloon_ratio",
            "balloon_above_amount_financed",
            gettext_noop("尾款 %(balloon)s 须低于融资额 %(amount)s"),
            balloon=cny_text(balloon),
            amount=cny_text(amount_financed),
        )

    # Rates --------------------------------------------------------------------------------------
    lender_rate: Decimal | None = None
    table_value = rules.rates.get((term, deal.tier))
    if table_value is None and term in rules.terms:
        _add(
            v,
            "tier",
            "rate_not_found",
            gettext_noop("本产品暂无 %(tier)s 类客户 %(term)s 期的利率"),
            tier=deal.tier,
            term=term,
        )
    elif table_value is None:
        pass  # the term itself is refused above
    elif rules.rate_basis == "lpr":
        if deal.lpr_rate is None:
            _add(
                v,
                "product",
                "lpr_missing",
                gettext_noop("暂无可用的贷款市场报价利率（LPR），无法为本产品定价"),
            )
        else:
            lender_rate = quantize_rate(deal.lpr_rate + table_value / Decimal(10000))
    else:
        lender_rate = table_value
    customer_rate = lender_rate
    if lender_rate is not None and rules.subsidised(term):
        customer_rate = min(rules.subsidy.customer_rate, lender_rate)

    base = {
        "fees": fees,
        "violations": v,
        "down_payment": down,
        "down_payment_ratio": down_ratio,
        "vehicle_amount_financed": car_part,
        "ltv": ltv,
        "add_ons_total": add_ons_total,
        "financed_fees": financed_fees,
        "upfront_fees": upfront_fees,
        "amount_financed": amount_financed,
        "balloon_amount": balloon,
        "customer_rate": customer_rate,
        "lender_rate": lender_rate,
    }
    if v:
        return QuoteEvaluation(schedule=None, apr=None, **base)

    # Pricing ----------------------------------------------------------------------------------
    try:
        schedule = build_schedule(
            amount_financed=amount_financed,
            annual_rate=customer_rate,
            term_months=term,
            method=Method.parse(deal.method),
            value_date=deal.value_date,
            day_count=rules.day_count,
            balloon_amount=balloon,
            fee_per_instalment=fee_per_instalment,
        )
        # The customer receives the amount financed less every fee (financed fees are principal
        # the customer owes but never receives), and pays each instalment: PBoC 2021 No. 3.
        apr = apr_irr(schedule, upfront_fees=financed_fees + upfront_fees)
        subsidy = (
            subsidy_amount(schedule, lender_rate=lender_rate)
            if customer_rate < lender_rate
            else ZERO
        )
    except PricingError as exc:
        _add(
            v,
            "non_field_errors",
            exc.code,
            gettext_noop("无法计算还款计划：%(reason)s"),
            reason=exc.message,
        )
        return QuoteEvaluation(schedule=None, apr=None, **base)
    penalty = penalty_rate(customer_rate, rules.penalty_markup)
    return QuoteEvaluation(
        schedule=schedule, apr=apr, subsidy_amount=subsidy, penalty_rate=penalty, **base
    )


# --------------------------------------------------------------------------------------------
# rules_validate: what publishing a version checks
# --------------------------------------------------------------------------------------------


def rules_validate(
    rules: ProductRules | Mapping, *, caps: RegulatoryCaps | None = None
) -> list[Violation]:
    """Problems that stop a version from being published (empty list: publishable)."""
    try:
        rules = rules_parse(rules)
    except RulesError as exc:
        return [
            Violation(
                "rules",
                "unreadable",
                gettext_noop("规则无法解析：%(reason)s"),
                {"reason": str(exc)},
            )
        ]
    caps = caps or RegulatoryCaps()
    v: Violations = {}
    if not rules.terms:
        _add(v, "terms", "required", gettext_noop("请至少设置一个可选期限"))
    for term in rules.terms:
        if term > rules.max_term_months:
            _add(
                v,
                "terms",
                "term_above_product_maximum",
                gettext_noop("可选期限 %(term)s 个月超过本产品最长 %(maximum)s 个月"),
                term=term,
                maximum=rules.max_term_months,
            )
    if not rules.methods:
        _add(v, "methods", "required", gettext_noop("请至少选择一种还款方式"))
    if "balloon" in rules.methods and (
        rules.balloon_ratio_min is None
        or rules.balloon_ratio_max is None
        or not 0 < rules.balloon_ratio_min <= rules.balloon_ratio_max < 1
    ):
        _add(
            v,
            "balloon_ratio_min",
            "balloon_range",
            gettext_noop("弹性尾款产品须设置 0–100%% 之间的尾款比例范围"),
        )
    if not rules.ltv_rules:
        _add(v, "ltv_rules", "required", gettext_noop("请至少设置一条首付与贷款价值比规则"))
    for rule in rules.ltv_rules:
        cap, label = caps.ltv_cap(rule.vehicle_kind, rule.vehicle_use)
        if rule.max_ltv > cap:
            _add(
                v,
                "ltv_rules",
                "ltv_above_regulatory_cap",
                gettext_noop("贷款价值比上限 %(ltv)s 超过%(category)s %(maximum)s 的监管上限"),
                ltv=percent_text(rule.max_ltv),
                category=label,
                maximum=percent_text(cap),
            )
    if rules.max_term_months > caps.max_term_months:
        # Used cars' shorter cap is enforced per quote: a product may serve new and used cars.
        _add(
            v,
            "max_term_months",
            "term_above_regulatory_cap",
            gettext_noop("最长期限 %(term)s 个月超过最长 %(maximum)s 个月的监管上限"),
            term=rules.max_term_months,
            maximum=caps.max_term_months,
        )
    if not 0 < rules.amount_min < rules.amount_max:
        _add(
            v, "amount_min", "amount_range", gettext_noop("融资额范围无效：最低须大于 0 且低于最高")
        )
    for term in rules.terms:
        for tier in TIERS:
            if (term, tier) not in rules.rates:
                _add(
                    v,
                    "rates",
                    "rate_missing",
                    gettext_noop("利率表缺少 %(tier)s 类客户 %(term)s 期的利率"),
                    tier=tier,
                    term=term,
                )
    if any(f.basis == "per_instalment" and f.financed for f in rules.fees):
        _add(
            v,
            "fees",
            "per_instalment_fee_financed",
            gettext_noop("按期收取的费用随每期还款支付，不能计入融资额"),
        )
    if not penalty_markup_allowed(rules.penalty_markup):
        # PBoC 银发〔2003〕251号: penalty interest 30 %–50 % above the contract rate
        _add(
            v,
            "penalty_markup",
            "penalty_markup_out_of_range",
            gettext_noop(
                "罚息上浮比例 %(markup)s 不符合规定：罚息利率须在合同利率基础上上浮 30%%–50%%"
                "（中国人民银行银发〔2003〕251号）"
            ),
            markup=percent_text(rules.penalty_markup),
        )
    if rules.rate_basis == "lpr" and rules.lpr_tenor is None:
        _add(v, "lpr_tenor", "required", gettext_noop("LPR 定价须选择 LPR 期限"))
    if rules.subsidy is not None and rules.rate_basis == "fixed":
        lowest = min(rules.rates.values(), default=None)
        if lowest is not None and rules.subsidy.customer_rate > lowest:
            _add(
                v,
                "subsidy_customer_rate",
                "subsidy_above_rate",
                gettext_noop("贴息后客户利率 %(rate)s 高于利率表最低利率 %(lowest)s"),
                rate=percent_text(rules.subsidy.customer_rate),
                lowest=percent_text(lowest),
            )
    return [item for items in v.values() for item in items]
