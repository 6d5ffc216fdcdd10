"""quote_evaluate without a database: every rule, the figures, subsidy, fees and APR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from autofin.pricing import APR_METHOD
from origination.quoting.caps import RegulatoryCaps
from origination.quoting.deal import AddOn
from origination.quoting.evaluation import quote_evaluate
from origination.quoting.rules import ProductRules
from origination.quoting.validation import rules_validate
from tests.origination.rules import BASE_RULES, deal, rules


def messages(evaluation) -> dict[str, list[str]]:
    return {k: [v.render() for v in items] for k, items in evaluation.violations.items()}


def test_a_deal_within_the_rules_is_priced_to_the_fen():
    schedule, apr, fees, violations = quote_evaluate(rules(), deal())

    assert violations == {}
    assert fees == ()
    assert schedule.amount_financed == D("160000.00")
    # PMT(0.5 %, 36, 160000) = 4867.509992 -> 4867.51 (numpy-financial agrees)
    assert schedule.rows[0].instalment == D("4867.51")
    assert schedule.totals.interest == D("15230.35")
    assert apr == D("0.0600")


def test_the_evaluation_carries_every_figure():
    evaluation = quote_evaluate(rules(), deal(down_payment=D("50000.00"), down_payment_ratio=None))

    assert evaluation.ok
    assert evaluation.down_payment == D("50000.00")
    assert evaluation.down_payment_ratio == D("0.2500")
    assert evaluation.ltv == D("0.7500")
    assert evaluation.vehicle_amount_financed == D("150000.00")
    assert evaluation.amount_financed == D("150000.00")
    assert evaluation.customer_rate == evaluation.lender_rate == D("0.06")
    assert evaluation.penalty_rate == D("0.090000")  # 6 % x (1 + 50 %)
    assert evaluation.apr_method == APR_METHOD


# ---- each rule ------------------------------------------------------------------------------


def test_down_payment_below_the_product_minimum_names_both_figures():
    evaluation = quote_evaluate(rules(), deal(down_payment_ratio=D("0.15")))

    assert evaluation.schedule is None and evaluation.apr is None
    assert messages(evaluation) == {
        "down_payment": ["首付比例 15% 低于本产品 20% 的最低要求"],
        "ltv": ["贷款价值比 85% 超过本产品 80% 的上限"],
    }


def test_down_payment_as_an_amount_is_checked_on_its_ratio():
    evaluation = quote_evaluate(rules(), deal(down_payment=D("39000.00"), down_payment_ratio=None))
    assert messages(evaluation)["down_payment"] == ["首付比例 19.5% 低于本产品 20% 的最低要求"]


def test_down_payment_at_or_above_the_price_is_refused():
    evaluation = quote_evaluate(rules(), deal(down_payment=D("200000.00"), down_payment_ratio=None))
    assert messages(evaluation)["down_payment"] == [
        "首付 ¥200,000.00 不能达到或超过车价 ¥200,000.00"
    ]


LOOSE_LTV = [
    {"vehicle_kind": kind, "vehicle_use": use, "min_down_payment_ratio": "0.05", "max_ltv": "0.95"}
    for kind in ("new", "used", "nev", "commercial")
    for use in ("personal", "commercial")
]


@pytest.mark.parametrize(
    ("kind", "use", "cap", "category"),
    [
        ("new", "personal", "80%", "自用车"),
        ("nev", "personal", "85%", "新能源车自用"),
        ("new", "commercial", "70%", "商用车及营运车辆"),
        ("commercial", "commercial", "70%", "商用车及营运车辆"),
        ("commercial", "personal", "70%", "商用车及营运车辆"),
        ("nev", "commercial", "75%", "新能源车营运"),
        ("used", "personal", "70%", "二手车"),
        ("used", "commercial", "70%", "二手车"),
    ],
)
def test_regulatory_ltv_caps_per_vehicle_kind_and_use(kind, use, cap, category):
    # A product looser than the regulation (published before the limits were tightened).
    loose = rules(ltv_rules=LOOSE_LTV)
    cap_ratio = D(cap.rstrip("%")) / 100
    extra = {"first_registration_date": date(2024, 3, 1)} if kind == "used" else {}

    at_cap = quote_evaluate(
        loose, deal(vehicle_kind=kind, vehicle_use=use, down_payment_ratio=1 - cap_ratio, **extra)
    )
    above = quote_evaluate(
        loose,
        deal(
            vehicle_kind=kind,
            vehicle_use=use,
            down_payment_ratio=1 - cap_ratio - D("0.01"),
            **extra,
        ),
    )

    assert at_cap.ok, messages(at_cap)
    ltv = f"{int((cap_ratio + D('0.01')) * 100)}%"
    assert messages(above) == {"ltv": [f"贷款价值比 {ltv} 超过{category} {cap} 的监管上限"]}


def test_regulatory_caps_are_editable():
    tighter = RegulatoryCaps(ltv_personal=D("0.75"))
    evaluation = quote_evaluate(rules(), deal(), caps=tighter)
    assert messages(evaluation) == {"ltv": ["贷款价值比 80% 超过自用车 75% 的监管上限"]}


def test_vehicle_kind_and_use_not_covered_by_the_product():
    evaluation = quote_evaluate(rules(), deal(vehicle_kind="nev"))
    assert messages(evaluation) == {"vehicle.kind": ["本产品不适用于新能源车"]}

    only_personal = rules(ltv_rules=BASE_RULES["ltv_rules"][:1])
    evaluation = quote_evaluate(only_personal, deal(vehicle_use="commercial"))
    assert messages(evaluation)["vehicle.use"] == ["本产品不适用于营运的新车"]


def test_term_not_offered_and_above_the_product_maximum():
    evaluation = quote_evaluate(rules(), deal(term_months=72))
    assert messages(evaluation) == {
        "term_months": [
            "期限 72 个月不在本产品可选期限（12/24/36/48/60 个月）内",
            "期限 72 个月超过本产品最长 60 个月",
        ]
    }
    evaluation = quote_evaluate(rules(), deal(term_months=18))
    assert messages(evaluation) == {
        "term_months": ["期限 18 个月不在本产品可选期限（12/24/36/48/60 个月）内"]
    }


def test_used_cars_are_capped_at_36_months_even_on_a_60_month_product():
    mixed = rules(ltv_rules=LOOSE_LTV)
    used = {
        "vehicle_kind": "used",
        "first_registration_date": date(2023, 5, 18),
        "down_payment_ratio": D("0.30"),
    }

    assert quote_evaluate(mixed, deal(term_months=36, **used)).ok
    evaluation = quote_evaluate(mixed, deal(term_months=48, **used))
    assert messages(evaluation) == {"term_months": ["期限 48 个月超过二手车最长 36 个月的监管上限"]}


def test_the_60_month_regulatory_cap_binds_a_product_configured_longer():
    long_product = rules(terms=[*BASE_RULES["terms"], 72], max_term_months=72)
    long_product["rates"] += [{"term_months": 72, "tier": "A", "annual_rate": "0.06"}]
    evaluation = quote_evaluate(long_product, deal(term_months=72))
    assert messages(evaluation) == {
        "term_months": ["期限 72 个月超过汽车贷款最长 60 个月的监管上限"]
    }


def test_used_cars_need_a_first_registration_date_in_the_past():
    used_rules = rules(ltv_rules=LOOSE_LTV)
    evaluation = quote_evaluate(used_rules, deal(vehicle_kind="used", down_payment_ratio=D("0.3")))
    assert messages(evaluation) == {"vehicle.first_registration_date": ["二手车须填写首次登记日期"]}
    evaluation = quote_evaluate(
        used_rules,
        deal(
            vehicle_kind="used",
            down_payment_ratio=D("0.3"),
            first_registration_date=date(2027, 1, 1),
        ),
    )
    assert messages(evaluation) == {
        "vehicle.first_registration_date": ["首次登记日期 2027-01-01 晚于今天"]
    }


def test_amount_financed_outside_the_product_range():
    small = quote_evaluate(
        rules(amount_min="50000.00"), deal(vehicle_price=D("30000.00"), down_payment_ratio=D("0.3"))
    )
    assert messages(small) == {"amount_financed": ["融资额 ¥21,000.00 低于本产品最低 ¥50,000.00"]}
    large = quote_evaluate(rules(), deal(vehicle_price=D("1500000.00")))
    assert messages(large) == {
        "amount_financed": ["融资额 ¥1,200,000.00 超过本产品最高 ¥1,000,000.00"]
    }


def test_add_on_caps_by_amount_and_by_share_of_the_price_and_items_not_offered():
    evaluation = quote_evaluate(
        rules(),
        deal(
            add_ons=(
                AddOn("insurance", D("15000.01")),
                AddOn("purchase_tax", D("20000.01")),
                AddOn("warranty", D("3000.00")),
            )
        ),
    )
    assert messages(evaluation) == {
        "add_ons": [
            "「保险」融资额 ¥15,000.01 超过上限 ¥15,000.00",
            "「购置税」融资额 ¥20,000.01 超过车价的 10%（¥20,000.00）",
            "本产品不提供「延保」融资",
        ]
    }


def test_add_ons_within_their_caps_are_financed_but_not_part_of_the_ltv():
    evaluation = quote_evaluate(
        rules(),
        deal(add_ons=(AddOn("insurance", D("15000.00")), AddOn("purchase_tax", D("20000.00")))),
    )
    assert evaluation.ok
    assert evaluation.ltv == D("0.8000")
    assert evaluation.add_ons_total == D("35000.00")
    assert evaluation.amount_financed == D("195000.00")


def test_method_not_offered():
    evaluation = quote_evaluate(rules(), deal(method="interest_only"))
    assert messages(evaluation) == {"method": ["本产品不提供「先息后本」还款方式"]}


def test_balloon_ratio_range_and_presence():
    out_of_range = quote_evaluate(rules(), deal(method="balloon", balloon_ratio=D("0.45")))
    assert messages(out_of_range) == {"balloon_ratio": ["尾款比例 45% 不在本产品 10%–40% 的范围内"]}
    missing = quote_evaluate(rules(), deal(method="balloon"))
    assert messages(missing) == {"balloon_ratio": ["弹性尾款方式须填写尾款比例"]}
    stray = quote_evaluate(rules(), deal(balloon_ratio=D("0.2")))
    assert messages(stray) == {"balloon_ratio": ["只有弹性尾款方式才能设置尾款比例"]}


def test_a_balloon_is_a_share_of_the_price_paid_with_the_last_instalment():
    evaluation = quote_evaluate(rules(), deal(method="balloon", balloon_ratio=D("0.30")))
    assert evaluation.ok
    assert evaluation.balloon_amount == D("60000.00")
    assert evaluation.monthly_payment == D("3342.19")
    assert evaluation.schedule.rows[-1].closing_balance == D("0.00")
    assert evaluation.schedule.rows[-1].instalment == D("63342.36")


def test_every_broken_rule_is_reported_at_once():
    evaluation = quote_evaluate(
        rules(),
        deal(
            down_payment_ratio=D("0.10"),
            term_months=72,
            method="interest_only",
            add_ons=(AddOn("warranty", D("1.00")),),
        ),
    )
    assert set(evaluation.violations) == {"down_payment", "ltv", "term_months", "method", "add_ons"}


# ---- fees, APR, subsidy, LPR ------------------------------------------------------------------


def test_fees_financed_and_upfront_and_an_apr_above_the_rate():
    with_fees = rules(
        fees=[
            {"fee_kind": "handling", "basis": "percent", "value": "0.02", "financed": False},
            {"fee_kind": "gps", "basis": "fixed", "value": "980.00", "financed": True},
        ]
    )
    schedule, apr, fees, violations = quote_evaluate(
        with_fees, deal(add_ons=(AddOn("insurance", D("8000.00")),))
    )
    assert violations == {}
    # Handling fee: 2 % of the car's part (160,000) + financed add-ons (8,000).
    assert [(f.fee_kind, f.amount, f.financed) for f in fees] == [
        ("handling", D("3360.00"), False),
        ("gps", D("980.00"), True),
    ]
    # Amount financed = price - down payment + financed add-ons + financed fees.
    assert schedule.amount_financed == D("168980.00")
    assert schedule.rows[0].instalment == D("5140.70")
    # IRR of receiving 168,980 - 3,360 - 980 against 36 x 5,140.70: 7.7559 % (numpy-financial).
    assert apr == D("0.0776")
    assert apr > D("0.06")


def test_an_oem_subsidy_records_the_customer_rate_and_the_lender_yield():
    subsidised = rules(subsidy={"customer_rate": "0", "terms": [], "payer": "星辰汽车"})
    evaluation = quote_evaluate(subsidised, deal())

    assert evaluation.customer_rate == D("0")
    assert evaluation.lender_rate == D("0.06")
    assert evaluation.monthly_payment == D("4444.44")
    assert evaluation.schedule.totals.interest == D("0.00")
    assert evaluation.apr == D("0.0000")
    # What the OEM pays so that the lender earns 6 %: 160,000 - PV(payments at 0.5 %/month).
    assert evaluation.subsidy_amount == D("13906.61")


def test_a_subsidy_limited_to_some_terms_leaves_the_others_at_the_table_rate():
    subsidised = rules(subsidy={"customer_rate": "0.0199", "terms": [12, 24], "payer": "OEM"})
    assert quote_evaluate(subsidised, deal(term_months=24)).customer_rate == D("0.0199")
    longer = quote_evaluate(subsidised, deal(term_months=36))
    assert longer.customer_rate == longer.lender_rate == D("0.06")
    assert longer.subsidy_amount == D("0.00")


def test_a_zero_rate_offer_with_an_upfront_fee_discloses_a_positive_apr():
    subsidised = rules(
        subsidy={"customer_rate": "0", "terms": [], "payer": "OEM"},
        fees=[{"fee_kind": "handling", "basis": "fixed", "value": "3000.00", "financed": False}],
    )
    evaluation = quote_evaluate(subsidised, deal())
    assert evaluation.customer_rate == D("0")
    # numpy-financial: IRR of -157,000, 35 x 4,444.44, 4,444.60 is 1.2321 % a year.
    assert evaluation.apr == D("0.0123")


def test_lpr_linked_rate_is_the_lpr_plus_the_spread():
    lpr_rules = rules(
        rate_basis="lpr",
        lpr_tenor="1y",
        rates=[
            {"term_months": t, "tier": k, "spread_bps": "450"} for t in [12, 24, 36] for k in "ABCD"
        ],
        terms=[12, 24, 36],
    )
    missing = quote_evaluate(lpr_rules, deal())
    assert messages(missing) == {"product": ["暂无可用的贷款市场报价利率（LPR），无法为本产品定价"]}
    priced = quote_evaluate(lpr_rules, deal(lpr_rate=D("0.0300")))
    assert priced.customer_rate == D("0.0750")
    assert priced.apr == D("0.0750")


def test_rules_round_trip_through_json():
    parsed = ProductRules.from_dict(BASE_RULES)
    assert ProductRules.from_dict(parsed.as_dict()) == parsed


def test_rules_validate_refuses_what_the_regulation_forbids():
    problems = rules_validate(
        rules(
            max_term_months=72,
            ltv_rules=[{"vehicle_kind": "nev", "vehicle_use": "personal", "min_down_payment_ratio": "0.1", "max_ltv": "0.90"}],
            rates=[r for r in BASE_RULES["rates"] if r["tier"] != "D"],
        )
    )  # fmt: skip
    rendered = [p.render() for p in problems]
    assert "贷款价值比上限 90% 超过新能源车自用 85% 的监管上限" in rendered
    assert "最长期限 72 个月超过最长 60 个月的监管上限" in rendered
    assert "利率表缺少 D 类客户 12 期的利率" in rendered
    assert rules_validate(rules()) == []
