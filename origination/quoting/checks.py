"""The rules a deal must keep, one small named check each, run in order by ``quote_evaluate``.

Every check reads a ``QuoteCase`` (the rules, the caps, the deal and the figures the deal
implies, worked out once beforehand by ``deal_figures``) and yields the ``Violation``s it finds.
The order of ``DEAL_CHECKS`` is the order of the messages a customer reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from autofin.pricing import quantize_rate
from origination.quoting.caps import RegulatoryCaps
from origination.quoting.deal import Deal, FeeLine
from origination.quoting.figures import ZERO, cny_text, fen, percent_text
from origination.quoting.rules import LtvRule, ProductRules
from origination.quoting.violations import Violation, violation
from origination.quoting.vocabulary import (
    ITEM_KIND_LABELS,
    METHOD_LABELS,
    VEHICLE_KIND_LABELS,
    VEHICLE_USE_LABELS,
    gettext_noop,
)

RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class DealFigures:
    """What a deal comes to under its product's rules, whether or not it keeps them."""

    ltv_rule: LtvRule | None
    down_payment: Decimal
    down_payment_ratio: Decimal  # 4 places, half-up
    car_part: Decimal  # the car's part of the amount financed
    ltv: Decimal  # 4 places, half-up
    balloon: Decimal
    add_ons_total: Decimal
    fees: tuple[FeeLine, ...]
    fee_per_instalment: Decimal
    financed_fees: Decimal
    upfront_fees: Decimal
    amount_financed: Decimal
    rate_entry: Decimal | None  # the rate table's entry for the term and tier
    lender_rate: Decimal | None
    customer_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class QuoteCase:
    rules: ProductRules
    caps: RegulatoryCaps
    deal: Deal
    figures: DealFigures


def _down_payment(deal: Deal) -> Decimal:
    if deal.down_payment is not None:
        return fen(deal.down_payment)
    return fen(deal.vehicle_price * (deal.down_payment_ratio or ZERO))


def _balloon(deal: Deal) -> Decimal:
    """The balloon of a balloon deal with a ratio (in range or not: the check says)."""
    ratio = deal.balloon_ratio
    if deal.method == "balloon" and ratio is not None and ratio > 0:
        return fen(deal.vehicle_price * ratio)
    return ZERO


def _fee_lines(rules: ProductRules, fee_base: Decimal) -> tuple[FeeLine, ...]:
    return tuple(
        FeeLine(
            f.fee_kind,
            fen(fee_base * f.value) if f.basis == "percent" else fen(f.value),
            f.financed and f.basis != "per_instalment",
            per_instalment=f.basis == "per_instalment",
        )
        for f in rules.fees
    )


def _lender_rate(rules: ProductRules, deal: Deal, entry: Decimal | None) -> Decimal | None:
    """The table's rate, or the LPR plus the table's spread (None: no rate to price at)."""
    if entry is None:
        return None
    if rules.rate_basis == "lpr":
        if deal.lpr_rate is None:
            return None
        return quantize_rate(deal.lpr_rate + entry / Decimal(10000))
    return entry


def deal_figures(rules: ProductRules, deal: Deal) -> DealFigures:
    price, term = deal.vehicle_price, deal.term_months
    down = _down_payment(deal)
    car_part = price - down
    add_ons_total = sum((a.amount for a in deal.add_ons), ZERO)
    fees = _fee_lines(rules, max(car_part, ZERO) + add_ons_total)
    financed_fees = sum((f.amount for f in fees if f.financed), ZERO)
    entry = rules.rates.get((term, deal.tier))
    lender_rate = _lender_rate(rules, deal, entry)
    customer_rate = lender_rate
    if lender_rate is not None and rules.subsidised(term):
        customer_rate = min(rules.subsidy.customer_rate, lender_rate)
    return DealFigures(
        ltv_rule=rules.ltv_rule(deal.vehicle_kind, deal.vehicle_use),
        down_payment=down,
        down_payment_ratio=(down / price).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP),
        car_part=car_part,
        ltv=(car_part / price).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP),
        balloon=_balloon(deal),
        add_ons_total=add_ons_total,
        fees=fees,
        fee_per_instalment=sum((f.amount for f in fees if f.per_instalment), ZERO),
        financed_fees=financed_fees,
        upfront_fees=sum((f.amount for f in fees if not f.financed and not f.per_instalment), ZERO),
        amount_financed=max(car_part, ZERO) + add_ons_total + financed_fees,
        rate_entry=entry,
        lender_rate=lender_rate,
        customer_rate=customer_rate,
    )


Check = Callable[[QuoteCase], Iterator[Violation]]


# The vehicle -------------------------------------------------------------------------------


def vehicle_offered(case: QuoteCase) -> Iterator[Violation]:
    kind, use = case.deal.vehicle_kind, case.deal.vehicle_use
    if case.figures.ltv_rule is not None:
        return
    if not any(r.vehicle_kind == kind for r in case.rules.ltv_rules):
        yield violation(
            "vehicle.kind",
            "vehicle_kind_not_offered",
            gettext_noop("本产品不适用于%(kind)s"),
            kind=VEHICLE_KIND_LABELS.get(kind, kind),
        )
    else:
        yield violation(
            "vehicle.use",
            "vehicle_use_not_offered",
            gettext_noop("本产品不适用于%(use)s的%(kind)s"),
            use=VEHICLE_USE_LABELS.get(use, use),
            kind=VEHICLE_KIND_LABELS.get(kind, kind),
        )


def used_car_registered(case: QuoteCase) -> Iterator[Violation]:
    deal = case.deal
    if deal.vehicle_kind != "used":
        return
    if deal.first_registration_date is None:
        yield violation(
            "vehicle.first_registration_date",
            "required",
            gettext_noop("二手车须填写首次登记日期"),
        )
    elif deal.first_registration_date > deal.value_date:
        yield violation(
            "vehicle.first_registration_date",
            "in_future",
            gettext_noop("首次登记日期 %(date)s 晚于今天"),
            date=deal.first_registration_date.isoformat(),
        )


# Down payment and LTV ----------------------------------------------------------------------


def down_payment_below_price(case: QuoteCase) -> Iterator[Violation]:
    if case.figures.car_part <= 0:
        yield violation(
            "down_payment",
            "down_payment_too_high",
            gettext_noop("首付 %(down)s 不能达到或超过车价 %(price)s"),
            down=cny_text(case.figures.down_payment),
            price=cny_text(case.deal.vehicle_price),
        )


def down_payment_minimum(case: QuoteCase) -> Iterator[Violation]:
    rule, down, price = case.figures.ltv_rule, case.figures.down_payment, case.deal.vehicle_price
    if rule is not None and down < price * rule.min_down_payment_ratio:
        yield violation(
            "down_payment",
            "down_payment_below_minimum",
            gettext_noop("首付比例 %(ratio)s 低于本产品 %(minimum)s 的最低要求"),
            ratio=percent_text(down / price),
            minimum=percent_text(rule.min_down_payment_ratio),
        )


def ltv_product_maximum(case: QuoteCase) -> Iterator[Violation]:
    rule, car_part, price = case.figures.ltv_rule, case.figures.car_part, case.deal.vehicle_price
    if rule is not None and car_part > price * rule.max_ltv:
        yield violation(
            "ltv",
            "ltv_above_product_maximum",
            gettext_noop("贷款价值比 %(ltv)s 超过本产品 %(maximum)s 的上限"),
            ltv=percent_text(car_part / price),
            maximum=percent_text(rule.max_ltv),
        )


def ltv_regulatory_cap(case: QuoteCase) -> Iterator[Violation]:
    """Only when the cap is below the product's own maximum (else that check has said it)."""
    car_part, price = case.figures.car_part, case.deal.vehicle_price
    cap, label = case.caps.ltv_cap(case.deal.vehicle_kind, case.deal.vehicle_use)
    product_ltv = case.figures.ltv_rule.max_ltv if case.figures.ltv_rule else None
    if car_part > price * cap and (product_ltv is None or cap < product_ltv):
        yield violation(
            "ltv",
            "ltv_above_regulatory_cap",
            gettext_noop("贷款价值比 %(ltv)s 超过%(category)s %(maximum)s 的监管上限"),
            ltv=percent_text(car_part / price),
            category=label,
            maximum=percent_text(cap),
        )


# Term --------------------------------------------------------------------------------------


def term_offered(case: QuoteCase) -> Iterator[Violation]:
    term, rules = case.deal.term_months, case.rules
    if term not in rules.terms:
        yield violation(
            "term_months",
            "term_not_offered",
            gettext_noop("期限 %(term)s 个月不在本产品可选期限（%(allowed)s 个月）内"),
            term=term,
            allowed="/".join(str(t) for t in rules.terms),
        )


def term_product_maximum(case: QuoteCase) -> Iterator[Violation]:
    term, rules = case.deal.term_months, case.rules
    if term > rules.max_term_months:
        yield violation(
            "term_months",
            "term_above_product_maximum",
            gettext_noop("期限 %(term)s 个月超过本产品最长 %(maximum)s 个月"),
            term=term,
            maximum=rules.max_term_months,
        )


def term_regulatory_cap(case: QuoteCase) -> Iterator[Violation]:
    """Only when the cap is below the product's own maximum (else that check has said it)."""
    term = case.deal.term_months
    cap, label = case.caps.term_cap(case.deal.vehicle_kind)
    if term > cap and cap < case.rules.max_term_months:
        yield violation(
            "term_months",
            "term_above_regulatory_cap",
            gettext_noop("期限 %(term)s 个月超过%(category)s最长 %(maximum)s 个月的监管上限"),
            term=term,
            category=label,
            maximum=cap,
        )


# Method and balloon ------------------------------------------------------------------------


def method_offered(case: QuoteCase) -> Iterator[Violation]:
    method = case.deal.method
    if method not in case.rules.methods:
        yield violation(
            "method",
            "method_not_offered",
            gettext_noop("本产品不提供「%(method)s」还款方式"),
            method=METHOD_LABELS.get(method, method),
        )


def balloon_ratio_in_range(case: QuoteCase) -> Iterator[Violation]:
    ratio = case.deal.balloon_ratio
    if case.deal.method != "balloon":
        if ratio:
            yield violation(
                "balloon_ratio",
                "balloon_not_allowed",
                gettext_noop("只有弹性尾款方式才能设置尾款比例"),
            )
        return
    low, high = case.rules.balloon_ratio_min, case.rules.balloon_ratio_max
    if ratio is None or ratio <= 0:
        yield violation("balloon_ratio", "required", gettext_noop("弹性尾款方式须填写尾款比例"))
    elif low is not None and high is not None and not low <= ratio <= high:
        yield violation(
            "balloon_ratio",
            "balloon_ratio_out_of_range",
            gettext_noop("尾款比例 %(ratio)s 不在本产品 %(minimum)s–%(maximum)s 的范围内"),
            ratio=percent_text(ratio),
            minimum=percent_text(low),
            maximum=percent_text(high),
        )


# Add-ons -----------------------------------------------------------------------------------


def add_ons_offered_and_capped(case: QuoteCase) -> Iterator[Violation]:
    """Each add-on in turn: offered by the product, within its amount cap and its share of the
    car price."""
    items = {i.item_kind: i for i in case.rules.financed_items}
    price = case.deal.vehicle_price
    for add_on in case.deal.add_ons:
        label = ITEM_KIND_LABELS.get(add_on.item_kind, add_on.item_kind)
        rule = items.get(add_on.item_kind)
        if rule is None:
            yield violation(
                "add_ons",
                "add_on_not_offered",
                gettext_noop("本产品不提供「%(item)s」融资"),
                item=label,
            )
            continue
        if rule.cap_amount is not None and add_on.amount > rule.cap_amount:
            yield violation(
                "add_ons",
                "add_on_above_cap",
                gettext_noop("「%(item)s」融资额 %(amount)s 超过上限 %(cap)s"),
                item=label,
                amount=cny_text(add_on.amount),
                cap=cny_text(rule.cap_amount),
            )
        if rule.cap_ratio is not None and add_on.amount > price * rule.cap_ratio:
            yield violation(
                "add_ons",
                "add_on_above_price_ratio",
                gettext_noop("「%(item)s」融资额 %(amount)s 超过车价的 %(ratio)s（%(cap)s）"),
                item=label,
                amount=cny_text(add_on.amount),
                ratio=percent_text(rule.cap_ratio),
                cap=cny_text(fen(price * rule.cap_ratio)),
            )


# The amount financed -----------------------------------------------------------------------


def amount_in_range(case: QuoteCase) -> Iterator[Violation]:
    amount, rules = case.figures.amount_financed, case.rules
    if amount < rules.amount_min:
        yield violation(
            "amount_financed",
            "amount_below_minimum",
            gettext_noop("融资额 %(amount)s 低于本产品最低 %(minimum)s"),
            amount=cny_text(amount),
            minimum=cny_text(rules.amount_min),
        )
    elif amount > rules.amount_max:
        yield violation(
            "amount_financed",
            "amount_above_maximum",
            gettext_noop("融资额 %(amount)s 超过本产品最高 %(maximum)s"),
            amount=cny_text(amount),
            maximum=cny_text(rules.amount_max),
        )


def balloon_below_amount_financed(case: QuoteCase) -> Iterator[Violation]:
    balloon, amount = case.figures.balloon, case.figures.amount_financed
    if case.deal.method == "balloon" and balloon > 0 and balloon >= amount:
        yield violation(
            "balloon_ratio",
            "balloon_above_amount_financed",
            gettext_noop("尾款 %(balloon)s 须低于融资额 %(amount)s"),
            balloon=cny_text(balloon),
            amount=cny_text(amount),
        )


# The rate ----------------------------------------------------------------------------------


def rate_available(case: QuoteCase) -> Iterator[Violation]:
    """A rate for the term and tier (a term the product does not offer is refused above), and
    for an LPR-linked product, the LPR itself."""
    deal, rules = case.deal, case.rules
    if case.figures.rate_entry is None:
        if deal.term_months in rules.terms:
            yield violation(
                "tier",
                "rate_not_found",
                gettext_noop("本产品暂无 %(tier)s 类客户 %(term)s 期的利率"),
                tier=deal.tier,
                term=deal.term_months,
            )
    elif rules.rate_basis == "lpr" and deal.lpr_rate is None:
        yield violation(
            "product",
            "lpr_missing",
            gettext_noop("暂无可用的贷款市场报价利率（LPR），无法为本产品定价"),
        )


# the car's own checks: a purpose product (maintenance, insurance) finances no car, so its
# "price" is the bill it pays and none of these apply (docs/offers.md)
VEHICLE_CHECKS: frozenset[Check] = frozenset(
    {vehicle_offered, used_car_registered, down_payment_minimum, ltv_product_maximum,
     ltv_regulatory_cap}
)  # fmt: skip

DEAL_CHECKS: tuple[Check, ...] = (
    vehicle_offered,
    used_car_registered,
    down_payment_below_price,
    down_payment_minimum,
    ltv_product_maximum,
    ltv_regulatory_cap,
    term_offered,
    term_product_maximum,
    term_regulatory_cap,
    method_offered,
    balloon_ratio_in_range,
    add_ons_offered_and_capped,
    amount_in_range,
    balloon_below_amount_financed,
    rate_available,
)
