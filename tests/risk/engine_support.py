"""What the risk tests feed the engine: a hand-made scorecard artefact whose score is easy to
reason about, and a facts builder for a clean new-car application. Imported by name; the
fixtures built on them live in tests/risk/conftest.py."""

from __future__ import annotations

import copy

from autofin.crypto import keyed_hash
from risk.adapters import TEST_ID_CLEAN

# One variable: max DPD in 24 months. No DPD -> 600, DPD >= 10 -> 450, no bureau file -> 520.
HAND_ARTEFACT = {
    "format": "autofin-scorecard/1",
    "target": "default",
    "bad_value": None,
    "scaling": {"base_score": 600, "base_odds": 50, "pdo": 20, "factor": 28.85, "offset": 487.1},
    "intercept": -2.0,
    "variables": [
        {
            "name": "max_dpd_24m",
            "type": "numeric",
            "trend": "ascending",
            "edges": [10.0],
            "coefficient": -1.0,
            "iv": 0.3,
            "bins": [
                {
                    "label": "< 10",
                    "lower": None,
                    "upper": 10.0,
                    "missing": False,
                    "count": 50,
                    "goods": 48,
                    "bads": 2,
                    "share": 0.5,
                    "bad_rate": 0.04,
                    "woe": 0.8,
                    "iv": 0.2,
                    "points": 600.0,
                },
                {
                    "label": ">= 10",
                    "lower": 10.0,
                    "upper": None,
                    "missing": False,
                    "count": 30,
                    "goods": 20,
                    "bads": 10,
                    "share": 0.3,
                    "bad_rate": 0.33,
                    "woe": -1.2,
                    "iv": 0.1,
                    "points": 450.0,
                },
                {
                    "label": "missing",
                    "lower": None,
                    "upper": None,
                    "missing": True,
                    "count": 20,
                    "goods": 18,
                    "bads": 2,
                    "share": 0.2,
                    "bad_rate": 0.1,
                    "woe": 0.0,
                    "iv": 0.0,
                    "points": 520.0,
                },
            ],
        }
    ],
    "score_distribution": {"edges": [500.0], "train_shares": [0.5, 0.5]},
}

CLEAN_FACTS = {
    "applicant": {
        "age": 35,
        "age_at_maturity": 38,
        "income_monthly": "30000.00",
        "income_verified": True,
        "id_hash": None,  # filled by the fixture (needs settings.HMAC_KEY)
        "phone_hash": None,
        "bank_account_hash": None,
        "employment_years": 8,
        "housing": "own",
    },
    "deal": {
        "product_line": "new",
        "contract_type": "loan",
        "price": "200000.00",
        "down_payment": "60000.00",
        "amount_financed": "140000.00",
        "term_months": 36,
        "method": "equal_instalment",
        "instalment": "4258.00",
        "ltv": "0.7000",
        "vin_hash": None,
        "vehicle": {"kind": "new", "msrp": "200000.00"},
    },
    "product_rules": {
        "ltv_cap": "0.80",
        "min_down_payment_ratio": "0.20",
        "terms_allowed": [12, 24, 36, 48, 60],
        "amount_min": "20000.00",
        "amount_max": "500000.00",
        "rate_table": {"A": "0.0599", "B": "0.0799", "C": "0.0999", "D": "0.1299"},
        "max_instalment_income_ratio": "0.50",
    },
    "dealer": {"dealer_id": 11, "grade": "A", "status": "active"},
    "salesperson_id": 501,
    "documents": [],
    "co_applicant": {"present": False},
    "consents": {"credit_bureau": {"ref": "consent:1", "given_at": "2026-01-05T10:00:00+08:00"}},
}


def make_facts(
    *,
    id_number: str = TEST_ID_CLEAN,
    phone: str = "13911112222",
    account: str = "6222020200001234567",
    vin: str = "LSVAU2180N2000001",
    **changes,
) -> dict:
    """Clean facts; ``changes`` like applicant__income_monthly="5000.00" or dealer__grade="D"."""
    facts = copy.deepcopy(CLEAN_FACTS)
    facts["applicant"]["id_hash"] = keyed_hash(id_number)
    facts["applicant"]["phone_hash"] = keyed_hash(phone)
    facts["applicant"]["bank_account_hash"] = keyed_hash(account)
    facts["deal"]["vin_hash"] = keyed_hash(vin)
    for key, value in changes.items():
        parts = key.split("__")
        target = facts
        for p in parts[:-1]:
            target = target.setdefault(p, {})
        target[parts[-1]] = value
    return facts
