"""Demo products (one per line and contract type, published with rate tables), the LPR and a
few saved quotes. Puts ``context["products"]`` ({code: Product}) for later apps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from autofin.approvals import four_eyes_waived
from autofin.roles import Role
from origination.models import Product
from origination.quoting.deal import AddOn, Deal
from origination.quoting.vocabulary import TIERS
from origination.selectors.products import product_version_current
from origination.services.products import (
    lpr_rate_record,
    product_create,
    product_draft_open,
    product_version_publish,
    product_version_update,
)
from origination.services.quotes import quote_create

LPR_DATE = dt.date(2026, 10, 20)
TIER_ADD = {"A": D("0"), "B": D("0.0100"), "C": D("0.0200"), "D": D("0.0350")}


def fixed_rates(base: dict[int, str], tier_add: dict[str, D] = TIER_ADD):
    return [
        (term, tier, D(rate) + tier_add[tier], None)
        for term, rate in base.items()
        for tier in TIERS
    ]


def lpr_spreads(terms, spreads: dict[str, int]):
    return [(term, tier, None, spreads[tier]) for term in terms for tier in TIERS]


FINANCED_ITEMS = [
    {"item_kind": "purchase_tax", "payee_type": "tax_authority", "cap_amount": None, "cap_ratio": "0.10"},
    {"item_kind": "insurance", "payee_type": "insurer", "cap_amount": "20000.00", "cap_ratio": None},
    {"item_kind": "warranty", "payee_type": "warranty_provider", "cap_amount": "10000.00", "cap_ratio": None},
    {"item_kind": "accessories", "payee_type": "dealer", "cap_amount": "20000.00", "cap_ratio": "0.05"},
]  # fmt: skip


def _lease_rules(kind: str, *, down: str, ltv: str, **extra) -> dict:
    """A lease product's rules: 12-36 months, equal rents, a handling fee."""
    return {
        "terms": [12, 24, 36],
        "max_term_months": 36,
        "methods": ["equal_instalment"],
        "ltv_rules": [{"vehicle_kind": kind, "vehicle_use": "personal",
                       "min_down_payment_ratio": down, "max_ltv": ltv}],
        "amount_min": D("30000.00"),
        "amount_max": D("1000000.00"),
        "day_count": "30/360",
        "fees": [{"fee_kind": "handling", "basis": "percent", "value": "0.01", "financed": False}],
        "penalty_markup": D("0.5"),
        "lock_in_months": 6,
        "early_settlement_fee_rate": D("0.03"),
        "financed_items": [FINANCED_ITEMS[1]],
        **extra,
    }  # fmt: skip


# The two lease products of issue #19: 直租 (the lessor buys the new car from the dealer) and
# 售后回租 (the lessor buys the customer's own car, paying their checked card; title transferred).
LEASE_PRODUCTS = [
    {
        "code": "lease-new",
        "name": "新车直租",
        "vehicle_kind": "new",
        "contract_type": "direct_lease",
        "secured": False,
        "sort_order": 25,
        "description": "新车直租：租期内车辆登记在出租人名下，期满留购过户。",
        "rules": _lease_rules("new", down="0.20", ltv="0.80"),
        "rates": fixed_rates({12: "0.0480", 24: "0.0510", 36: "0.0550"}),
    },
    {
        "code": "lease-back",
        "name": "车主回租",
        "vehicle_kind": "used",
        "contract_type": "sale_leaseback",
        "secured": True,
        "sort_order": 45,
        "description": "车主回租：将自有车辆出售给出租人并租回使用，购车款付至本人银行卡。",
        "rules": _lease_rules("used", down="0.30", ltv="0.70", leaseback_title="transfer"),
        "rates": fixed_rates({12: "0.0690", 24: "0.0720", 36: "0.0760"}),
    },
]

PRODUCTS = [
    {
        "code": "new-std",
        "name": "新车贷款-标准",
        "vehicle_kind": "new",
        "contract_type": "loan",
        "secured": True,
        "sort_order": 10,
        "description": "新车按揭，等额本息 / 等额本金 / 弹性尾款，最长 60 期。",
        "rules": {
            "terms": [12, 24, 36, 48, 60],
            "max_term_months": 60,
            "methods": ["equal_instalment", "equal_principal", "balloon"],
            "balloon_ratio_min": D("0.10"),
            "balloon_ratio_max": D("0.40"),
            "ltv_rules": [
                {
                    "vehicle_kind": "new",
                    "vehicle_use": "personal",
                    "min_down_payment_ratio": "0.20",
                    "max_ltv": "0.80",
                },
                {
                    "vehicle_kind": "new",
                    "vehicle_use": "commercial",
                    "min_down_payment_ratio": "0.30",
                    "max_ltv": "0.70",
                },
            ],
            "amount_min": D("30000.00"),
            "amount_max": D("1500000.00"),
            "day_count": "30/360",
            "fees": [
                {"fee_kind": "handling", "basis": "percent", "value": "0.01", "financed": True},
                {"fee_kind": "gps", "basis": "fixed", "value": "980.00", "financed": True},
                {
                    "fee_kind": "mortgage_registration",
                    "basis": "fixed",
                    "value": "300.00",
                    "financed": False,
                },
            ],
            "penalty_markup": D("0.5"),
            "lock_in_months": 6,
            "early_settlement_fee_rate": D("0.03"),
            "financed_items": FINANCED_ITEMS,
        },
        "rates": fixed_rates(
            {12: "0.0450", 24: "0.0480", 36: "0.0520", 48: "0.0560", 60: "0.0580"}
        ),
    },
    {
        "code": "nev-lease",
        "name": "新能源直租",
        "vehicle_kind": "nev",
        "contract_type": "direct_lease",
        "secured": False,
        "sort_order": 20,
        "description": "新能源车直租，租期内车辆归出租人所有，期满留购。",
        "rules": {
            "terms": [12, 24, 36, 48, 60],
            "max_term_months": 60,
            "methods": ["equal_instalment", "balloon"],
            "balloon_ratio_min": D("0.10"),
            "balloon_ratio_max": D("0.30"),
            "ltv_rules": [
                {
                    "vehicle_kind": "nev",
                    "vehicle_use": "personal",
                    "min_down_payment_ratio": "0.15",
                    "max_ltv": "0.85",
                },
                {
                    "vehicle_kind": "nev",
                    "vehicle_use": "commercial",
                    "min_down_payment_ratio": "0.25",
                    "max_ltv": "0.75",
                },
            ],
            "amount_min": D("30000.00"),
            "amount_max": D("1000000.00"),
            "day_count": "30/360",
            "fees": [
                {"fee_kind": "handling", "basis": "percent", "value": "0.02", "financed": False},
            ],
            "penalty_markup": D("0.5"),
            "lock_in_months": 12,
            "early_settlement_fee_rate": D("0.04"),
            "financed_items": [FINANCED_ITEMS[1], FINANCED_ITEMS[3]],
        },
        "rates": fixed_rates(
            {12: "0.0420", 24: "0.0450", 36: "0.0490", 48: "0.0530", 60: "0.0560"}
        ),
    },
    {
        "code": "used-loan",
        "name": "二手车贷款",
        "vehicle_kind": "used",
        "contract_type": "loan",
        "secured": True,
        "sort_order": 30,
        "description": "二手车按揭，利率为 1 年期 LPR 加点，最长 36 期。",
        "rules": {
            "terms": [12, 24, 36],
            "max_term_months": 36,
            "methods": ["equal_instalment", "equal_principal"],
            "ltv_rules": [
                {
                    "vehicle_kind": "used",
                    "vehicle_use": "personal",
                    "min_down_payment_ratio": "0.30",
                    "max_ltv": "0.70",
                },
                {
                    "vehicle_kind": "used",
                    "vehicle_use": "commercial",
                    "min_down_payment_ratio": "0.40",
                    "max_ltv": "0.60",
                },
            ],
            "amount_min": D("20000.00"),
            "amount_max": D("500000.00"),
            "day_count": "ACT/365F",
            "rate_basis": "lpr",
            "lpr_tenor": "1y",
            "fees": [
                {"fee_kind": "handling", "basis": "percent", "value": "0.02", "financed": True},
                {"fee_kind": "gps", "basis": "fixed", "value": "1200.00", "financed": True},
                {
                    "fee_kind": "mortgage_registration",
                    "basis": "fixed",
                    "value": "300.00",
                    "financed": False,
                },
            ],
            "penalty_markup": D("0.5"),
            "lock_in_months": 12,
            "early_settlement_fee_rate": D("0.03"),
            "financed_items": [FINANCED_ITEMS[1]],
        },
        "rates": lpr_spreads([12, 24, 36], {"A": 300, "B": 450, "C": 600, "D": 800}),
    },
    {
        "code": "comm-slb",
        "name": "商用车售后回租",
        "vehicle_kind": "commercial",
        "contract_type": "sale_leaseback",
        "secured": True,
        "sort_order": 40,
        "description": "营运商用车售后回租，盘活车辆资金，先息后本或等额本息。",
        "rules": {
            "terms": [12, 24, 36],
            "max_term_months": 36,
            "methods": ["equal_instalment", "interest_only"],
            "ltv_rules": [
                {
                    "vehicle_kind": "commercial",
                    "vehicle_use": "commercial",
                    "min_down_payment_ratio": "0.30",
                    "max_ltv": "0.70",
                },
            ],
            "amount_min": D("50000.00"),
            "amount_max": D("2000000.00"),
            "day_count": "ACT/365F",
            "fees": [
                {"fee_kind": "handling", "basis": "percent", "value": "0.03", "financed": False},
                {"fee_kind": "gps", "basis": "fixed", "value": "1500.00", "financed": True},
            ],
            "penalty_markup": D("0.5"),
            "lock_in_months": 6,
            "early_settlement_fee_rate": D("0.05"),
            "financed_items": [FINANCED_ITEMS[1]],
        },
        "rates": fixed_rates({12: "0.0750", 24: "0.0790", 36: "0.0850"}),
    },
    {
        "code": "oem-zero",
        "name": "厂商贴息 0 利率",
        "vehicle_kind": "new",
        "contract_type": "loan",
        "secured": True,
        "sort_order": 15,
        "description": "星辰汽车全额贴息：客户 0 利率，12–36 期，首付 30% 起。",
        "rules": {
            "terms": [12, 24, 36],
            "max_term_months": 36,
            "methods": ["equal_instalment"],
            "ltv_rules": [
                {
                    "vehicle_kind": "new",
                    "vehicle_use": "personal",
                    "min_down_payment_ratio": "0.30",
                    "max_ltv": "0.70",
                },
            ],
            "amount_min": D("30000.00"),
            "amount_max": D("500000.00"),
            "day_count": "30/360",
            "fees": [
                {
                    "fee_kind": "mortgage_registration",
                    "basis": "fixed",
                    "value": "300.00",
                    "financed": False,
                },
            ],
            "penalty_markup": D("0.5"),
            "lock_in_months": 12,
            "early_settlement_fee_rate": D("0.03"),
            "subsidy_customer_rate": D("0"),
            "subsidy_payer": "星辰汽车",
            "financed_items": [FINANCED_ITEMS[0]],
        },
        "rates": fixed_rates(
            {12: "0.0450", 24: "0.0480", 36: "0.0520"}, {t: D("0") for t in TIERS}
        ),
    },
    *LEASE_PRODUCTS,
]

# --- offers (issue 21): maintenance credit (保养分期) for existing customers at partner service
# centres: unsecured, no LTV, no mortgage, no GPS, its own amount and term caps (docs/offers.md)
PURPOSE_PRODUCTS = [
    {
        "code": "maintenance",
        "name": "保养分期",
        "vehicle_kind": "new",
        "contract_type": "loan",
        "secured": False,
        "purpose": "maintenance",
        "sort_order": 60,
        "description": "老客户车辆保养、维修分期，款项直接支付给合作维修保养服务商。",
        "rules": {
            "terms": [3, 6, 12],
            "max_term_months": 12,
            "methods": ["equal_instalment"],
            "ltv_rules": [],
            "amount_min": D("500.00"),
            "amount_max": D("30000.00"),
            "day_count": "30/360",
            "fees": [],
            "penalty_markup": D("0.5"),
            "lock_in_months": 0,
            "early_settlement_fee_rate": D("0"),
        },
        "rates": fixed_rates({3: "0.0700", 6: "0.0750", 12: "0.0800"}),
    },
    # --- integrate (issue 21): the financed renewal premium (续保分期) needs its product on sale
    # to be offered at all; paid to the insurer the customer chose, capped like risk's cap
    {
        "code": "insurance-renewal",
        "name": "续保分期",
        "vehicle_kind": "new",
        "contract_type": "loan",
        "secured": False,
        "purpose": "insurance_renewal",
        "sort_order": 61,
        "description": "老客户车险续保保费分期，款项直接支付给客户选择的保险公司。",
        "rules": {
            "terms": [3, 6, 12],
            "max_term_months": 12,
            "methods": ["equal_instalment"],
            "ltv_rules": [],
            "amount_min": D("300.00"),
            "amount_max": D("20000.00"),
            "day_count": "30/360",
            "fees": [],
            "penalty_markup": D("0.5"),
            "lock_in_months": 0,
            "early_settlement_fee_rate": D("0"),
        },
        "rates": fixed_rates({3: "0.0700", 6: "0.0750", 12: "0.0800"}),
    },
]
PRODUCTS += PURPOSE_PRODUCTS


# Installation data: nobody exists yet to check it (autofin.approvals).
SEED_WAIVER = "demo seed"


def seed_products(*, stdout, context: dict) -> None:
    actor = (context.get("users") or {}).get(Role.PRODUCT_MANAGER) or "seed"
    for tenor, rate in (("1y", D("0.0300")), ("5y", D("0.0350"))):
        lpr_rate_record(actor=actor, tenor=tenor, rate=rate, effective_date=LPR_DATE)

    products: dict[str, Product] = {}
    for spec in PRODUCTS:
        product = Product.objects.filter(code=spec["code"]).first()
        if product is None:
            product = product_create(
                actor=actor,
                **{k: spec[k] for k in ("code", "name", "vehicle_kind", "contract_type",
                                        "secured", "sort_order", "description", "rules", "rates")},
                purpose=spec.get("purpose", "vehicle"),
            )  # fmt: skip
            with four_eyes_waived(SEED_WAIVER):
                product_version_publish(actor=actor, version=product.versions.get(number=1))
        products[spec["code"]] = product
    context["products"] = products

    new_std = products["new-std"]
    v1 = product_version_current(product=new_std)
    if v1.number == 1 and not v1.quotes.exists():
        _quotes(actor, context, v1)
        # A price change after those quotes: version 2, while the quotes keep version 1.
        draft = product_draft_open(
            actor=actor, product=new_std, change_note="60 期利率下调 20 个基点"
        )
        product_version_update(
            actor=actor,
            version=draft,
            rates=fixed_rates(
                {12: "0.0450", 24: "0.0480", 36: "0.0520", 48: "0.0560", 60: "0.0560"}
            ),
        )
        with four_eyes_waived(SEED_WAIVER):
            product_version_publish(actor=actor, version=draft)
        for code in ("oem-zero", "used-loan", "nev-lease"):
            _quotes(actor, context, product_version_current(product=products[code]))
    stdout.write(f"  {len(products)} products, LPR {LPR_DATE}")


def _quotes(actor, context, version) -> None:
    customer = (context.get("users") or {}).get(Role.CUSTOMER)
    kind = version.product.vehicle_kind
    use = "commercial" if kind == "commercial" else "personal"
    for price, ratio, term in ((D("218800.00"), D("0.30"), 36), (D("159900.00"), D("0.40"), 24)):
        terms = version.rules["terms"]
        quote_create(
            actor=customer,
            version=version,
            deal=Deal(
                vehicle_kind=kind,
                vehicle_use=use,
                vehicle_price=price,
                first_registration_date=dt.date(2023, 5, 18) if kind == "used" else None,
                term_months=term if term in terms else terms[-1],
                method="equal_instalment",
                tier="B",
                down_payment_ratio=ratio,
                add_ons=(AddOn("insurance", D("8600.00")),)
                if kind != "used" and kind != "commercial" and version.product.code == "new-std"
                else (),
            ),
        )
