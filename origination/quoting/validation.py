"""``rules_validate``: what publishing a product version checks, one small named check each,
run in order. A version with no violation may be published."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from autofin.pricing import penalty_markup_allowed
from origination.quoting.caps import RegulatoryCaps
from origination.quoting.figures import percent_text
from origination.quoting.rules import ProductRules, RulesError, rules_parse
from origination.quoting.violations import Violation, violation, violations_by_field
from origination.quoting.vocabulary import TIERS, gettext_noop

RulesCheck = Callable[[ProductRules, RegulatoryCaps], Iterator[Violation]]


def terms_set(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if not rules.terms:
        yield violation("terms", "required", gettext_noop("请至少设置一个可选期限"))


def terms_within_maximum(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    for term in rules.terms:
        if term > rules.max_term_months:
            yield violation(
                "terms",
                "term_above_product_maximum",
                gettext_noop("可选期限 %(term)s 个月超过本产品最长 %(maximum)s 个月"),
                term=term,
                maximum=rules.max_term_months,
            )


def methods_set(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if not rules.methods:
        yield violation("methods", "required", gettext_noop("请至少选择一种还款方式"))


def balloon_range_set(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    low, high = rules.balloon_ratio_min, rules.balloon_ratio_max
    if "balloon" in rules.methods and (low is None or high is None or not 0 < low <= high < 1):
        yield violation(
            "balloon_ratio_min",
            "balloon_range",
            gettext_noop("弹性尾款产品须设置 0–100%% 之间的尾款比例范围"),
        )


def ltv_rules_set(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if rules.finances_vehicle and not rules.ltv_rules:
        yield violation("ltv_rules", "required", gettext_noop("请至少设置一条首付与贷款价值比规则"))
    if not rules.finances_vehicle and rules.ltv_rules:
        yield violation(
            "ltv_rules",
            "purpose_without_ltv",
            gettext_noop("保养、续保等用途产品不设首付与贷款价值比规则"),
        )


# what only a car's financing carries: its GPS device and its mortgage registration
CAR_ONLY_FEES = ("gps", "mortgage_registration")


def purpose_without_car_terms(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    """A maintenance or insurance product finances no car: no GPS or mortgage fee, no add-ons,
    no balloon (its instalments are small and level)."""
    if rules.finances_vehicle:
        return
    if any(f.fee_kind in CAR_ONLY_FEES for f in rules.fees):
        yield violation(
            "fees", "purpose_car_fee", gettext_noop("保养、续保等用途产品不收取 GPS 或抵押登记费用")
        )
    if rules.financed_items or "balloon" in rules.methods:
        yield violation(
            "financed_items",
            "purpose_add_ons",
            gettext_noop("保养、续保等用途产品不含附加融资项目或弹性尾款"),
        )


def ltv_rules_in_range(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    # ``row`` names the rule (its index) so a page can put the message beside it.
    for row, rule in enumerate(rules.ltv_rules):
        if not 0 < rule.max_ltv <= 1:
            yield violation(
                "ltv_rules", "ltv_out_of_range",
                gettext_noop("贷款价值比上限须大于 0 且不超过 100%%"), row=row,
            )  # fmt: skip
        if not 0 <= rule.min_down_payment_ratio < 1:
            yield violation(
                "ltv_rules", "down_payment_out_of_range",
                gettext_noop("最低首付比例须在 0–100%% 之间（不含 100%%）"), row=row,
            )  # fmt: skip


def ltv_rules_distinct(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    # A quote reads the first rule of its vehicle kind and use: a second one would never apply.
    seen = set()
    for row, rule in enumerate(rules.ltv_rules):
        key = (rule.vehicle_kind, rule.vehicle_use)
        if key in seen:
            yield violation(
                "ltv_rules", "ltv_rule_duplicate",
                gettext_noop("同一车辆类型与用途只能有一条规则"), row=row,
            )  # fmt: skip
        seen.add(key)


def ltv_rules_within_caps(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    for row, rule in enumerate(rules.ltv_rules):
        cap, label = caps.ltv_cap(rule.vehicle_kind, rule.vehicle_use)
        if cap < rule.max_ltv <= 1:
            yield violation(
                "ltv_rules",
                "ltv_above_regulatory_cap",
                gettext_noop("贷款价值比上限 %(ltv)s 超过%(category)s %(maximum)s 的监管上限"),
                ltv=percent_text(rule.max_ltv),
                category=label,
                maximum=percent_text(cap),
                row=row,
            )


def max_term_within_cap(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    # Used cars' shorter cap is enforced per quote: a product may serve new and used cars.
    if rules.max_term_months > caps.max_term_months:
        yield violation(
            "max_term_months",
            "term_above_regulatory_cap",
            gettext_noop("最长期限 %(term)s 个月超过最长 %(maximum)s 个月的监管上限"),
            term=rules.max_term_months,
            maximum=caps.max_term_months,
        )


def amount_range_valid(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if not 0 < rules.amount_min < rules.amount_max:
        yield violation(
            "amount_min", "amount_range", gettext_noop("融资额范围无效：最低须大于 0 且低于最高")
        )


def rate_table_complete(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    for term in rules.terms:
        for tier in TIERS:
            if (term, tier) not in rules.rates:
                yield violation(
                    "rates",
                    "rate_missing",
                    gettext_noop("利率表缺少 %(tier)s 类客户 %(term)s 期的利率"),
                    tier=tier,
                    term=term,
                )


def per_instalment_fees_not_financed(
    rules: ProductRules, caps: RegulatoryCaps
) -> Iterator[Violation]:
    for row, fee in enumerate(rules.fees):
        if fee.basis == "per_instalment" and fee.financed:
            yield violation(
                "fees",
                "per_instalment_fee_financed",
                gettext_noop("按期收取的费用随每期还款支付，不能计入融资额"),
                row=row,
            )


def fee_values_in_range(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    for row, fee in enumerate(rules.fees):
        if fee.basis == "percent" and not 0 <= fee.value < 1:
            yield violation(
                "fees", "fee_rate_out_of_range",
                gettext_noop("按比例收取的费率须在 0–100%% 之间（不含 100%%）"), row=row,
            )  # fmt: skip
        elif fee.value < 0:
            yield violation(
                "fees", "fee_amount_negative", gettext_noop("费用金额不能为负数"), row=row
            )  # fmt: skip


def fees_distinct(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    seen = set()
    for row, fee in enumerate(rules.fees):
        if fee.fee_kind in seen:
            yield violation(
                "fees", "fee_duplicate", gettext_noop("同一种费用只能设置一次"), row=row
            )  # fmt: skip
        seen.add(fee.fee_kind)


def financed_items_valid(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    # No cap at all is allowed (purchase tax is what the tax office charges).
    seen = set()
    for row, item in enumerate(rules.financed_items):
        if item.item_kind in seen:
            yield violation(
                "financed_items", "item_duplicate",
                gettext_noop("同一种附加品只能设置一次"), row=row,
            )  # fmt: skip
        seen.add(item.item_kind)
        if item.cap_amount is not None and item.cap_amount <= 0:
            yield violation(
                "financed_items", "item_cap_amount_invalid",
                gettext_noop("金额上限须大于 0（不设上限请留空）"), row=row,
            )  # fmt: skip
        if item.cap_ratio is not None and not 0 < item.cap_ratio <= 1:
            yield violation(
                "financed_items", "item_cap_ratio_invalid",
                gettext_noop("车价比例上限须大于 0 且不超过 100%%"), row=row,
            )  # fmt: skip


def penalty_markup_in_range(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    # PBoC 银发〔2003〕251号: penalty interest 30 %–50 % above the contract rate
    if not penalty_markup_allowed(rules.penalty_markup):
        yield violation(
            "penalty_markup",
            "penalty_markup_out_of_range",
            gettext_noop(
                "罚息上浮比例 %(markup)s 不符合规定：罚息利率须在合同利率基础上上浮 30%%–50%%"
                "（中国人民银行银发〔2003〕251号）"
            ),
            markup=percent_text(rules.penalty_markup),
        )


def lpr_tenor_set(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if rules.rate_basis == "lpr" and rules.lpr_tenor is None:
        yield violation("lpr_tenor", "required", gettext_noop("LPR 定价须选择 LPR 期限"))


def subsidy_below_rates(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if rules.subsidy is None or rules.rate_basis != "fixed":
        return
    lowest = min(rules.rates.values(), default=None)
    if lowest is not None and rules.subsidy.customer_rate > lowest:
        yield violation(
            "subsidy_customer_rate",
            "subsidy_above_rate",
            gettext_noop("贴息后客户利率 %(rate)s 高于利率表最低利率 %(lowest)s"),
            rate=percent_text(rules.subsidy.customer_rate),
            lowest=percent_text(lowest),
        )


def early_settlement_terms_valid(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if rules.lock_in_months > rules.max_term_months:
        yield violation(
            "lock_in_months",
            "lock_in_above_term",
            gettext_noop("提前结清锁定期 %(months)s 个月超过本产品最长期限 %(maximum)s 个月"),
            months=rules.lock_in_months,
            maximum=rules.max_term_months,
        )
    if not 0 <= rules.early_settlement_fee_rate < 1:
        yield violation(
            "early_settlement_fee_rate",
            "early_settlement_fee_out_of_range",
            gettext_noop("提前结清手续费率 %(rate)s 须在 0%%–100%% 之间"),
            rate=percent_text(rules.early_settlement_fee_rate),
        )


def subsidy_complete(rules: ProductRules, caps: RegulatoryCaps) -> Iterator[Violation]:
    if rules.subsidy is None:
        return
    if rules.subsidy.customer_rate < 0:
        yield violation(
            "subsidy_customer_rate",
            "subsidy_rate_negative",
            gettext_noop("贴息后客户利率不能为负数"),
        )
    if not rules.subsidy.payer.strip():
        yield violation("subsidy_payer", "required", gettext_noop("厂商贴息须填写贴息厂商"))
    for term in rules.subsidy.terms:
        if term not in rules.terms:
            yield violation(
                "subsidy_terms",
                "subsidy_term_not_offered",
                gettext_noop("贴息期限 %(term)s 个月不在本产品的可选期限内"),
                term=term,
            )


RULES_CHECKS: tuple[RulesCheck, ...] = (
    terms_set,
    terms_within_maximum,
    methods_set,
    balloon_range_set,
    ltv_rules_set,
    purpose_without_car_terms,
    ltv_rules_in_range,
    ltv_rules_distinct,
    ltv_rules_within_caps,
    max_term_within_cap,
    amount_range_valid,
    rate_table_complete,
    per_instalment_fees_not_financed,
    fee_values_in_range,
    fees_distinct,
    financed_items_valid,
    penalty_markup_in_range,
    lpr_tenor_set,
    subsidy_below_rates,
    early_settlement_terms_valid,
    subsidy_complete,
)


def rules_validate(
    rules: ProductRules | Mapping, *, caps: RegulatoryCaps | None = None
) -> list[Violation]:
    """Problems that stop a version from being published (empty list: publishable), grouped
    by field in the order the fields are first met."""
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
    found = violations_by_field(v for check in RULES_CHECKS for v in check(rules, caps))
    return [item for items in found.values() for item in items]
