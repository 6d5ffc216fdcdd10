"""A product's rules as the published JSON snapshot, for the Django-free quoting tests."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

from origination.quoting.deal import Deal

TERMS = [12, 24, 36, 48, 60]

BASE_RULES = {
    "product_code": "test",
    "product_name": "测试产品",
    "version": 1,
    "vehicle_kind": "new",
    "contract_type": "loan",
    "secured": True,
    "terms": TERMS,
    "max_term_months": 60,
    "methods": ["equal_instalment", "equal_principal", "balloon"],
    "balloon_ratio_min": "0.10",
    "balloon_ratio_max": "0.40",
    "ltv_rules": [
        {"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.20", "max_ltv": "0.80"},
        {"vehicle_kind": "new", "vehicle_use": "commercial", "min_down_payment_ratio": "0.30", "max_ltv": "0.70"},
    ],
    "amount_min": "20000.00",
    "amount_max": "1000000.00",
    "day_count": "30/360",
    "rate_basis": "fixed",
    "lpr_tenor": None,
    "rates": [{"term_months": t, "tier": k, "annual_rate": "0.06"} for t in TERMS for k in "ABCD"],
    "fees": [],
    "penalty_markup": "0.5",
    "lock_in_months": 6,
    "early_settlement_fee_rate": "0.03",
    "subsidy": None,
    "financed_items": [
        {"item_kind": "insurance", "payee_type": "insurer", "cap_amount": "15000.00", "cap_ratio": None},
        {"item_kind": "purchase_tax", "payee_type": "tax_authority", "cap_amount": None, "cap_ratio": "0.10"},
    ],
}  # fmt: skip

VALUE_DATE = date(2026, 11, 25)


def rules(**changes) -> dict:
    data = copy.deepcopy(BASE_RULES)
    data.update(changes)
    return data


def deal(**changes) -> Deal:
    fields = {
        "vehicle_kind": "new",
        "vehicle_use": "personal",
        "vehicle_price": Decimal("200000.00"),
        "term_months": 36,
        "method": "equal_instalment",
        "tier": "A",
        "value_date": VALUE_DATE,
        "down_payment_ratio": Decimal("0.20"),
    }
    fields.update(changes)
    return Deal(**fields)
