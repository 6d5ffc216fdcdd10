"""Synthetic auto-loan applications with a default flag, for training demos and tests.

The relations to default are the ones the business expects: higher LTV, lower down payment,
longer term, higher instalment-to-income, bureau inquiries, past delinquency and card
utilisation raise the chance of default; older used cars and weaker dealers (grade D) too; age
has a mild U shape. Thin-file applicants (no bureau history) have the bureau columns missing.
A fixed seed gives the same table; any number of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PRODUCT_LINES = ("new", "used", "nev", "commercial")
GRADE_EFFECT = {"A": -0.5, "B": 0.0, "C": 0.4, "D": 0.9}
HOUSING_EFFECT = {"own": -0.3, "mortgage": -0.1, "rent": 0.25, "family": 0.1}
LINE_EFFECT = {"new": 0.0, "used": 0.2, "nev": 0.05, "commercial": 0.3}
TERMS = np.array([12, 24, 36, 48, 60])


def make_credit_data(rows: int, seed: int = 0, product_line: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rows)
    if product_line:
        line = np.full(n, product_line, dtype=object)
    else:
        line = rng.choice(PRODUCT_LINES, size=n, p=[0.45, 0.3, 0.15, 0.1])
    used = line == "used"
    age = np.clip(rng.normal(36, 9, n), 18, 64).round().astype(int)
    income = np.round(np.exp(rng.normal(np.log(12000), 0.45, n)), -1)
    employment = np.clip(rng.gamma(2.0, 3.0, n), 0, 40).round(1)
    housing = rng.choice(list(HOUSING_EFFECT), size=n, p=[0.35, 0.25, 0.3, 0.1])
    base_price = np.where(used, rng.normal(90000, 30000, n), rng.normal(180000, 60000, n))
    price = np.round(np.clip(base_price, 30000, 600000), -2)
    vehicle_age = np.where(used, np.clip(rng.gamma(2.0, 2.0, n), 0.5, 12).round(1), 0.0)
    mileage = np.where(used, np.round(vehicle_age * rng.normal(15000, 4000, n), -2), 0.0)
    down_ratio = np.clip(rng.beta(2.2, 5.0, n), 0.0, 0.8).round(3)
    ltv = np.round(1 - down_ratio + rng.normal(0.02, 0.02, n).clip(0, 0.1), 3)
    term = rng.choice(TERMS, size=n, p=[0.08, 0.2, 0.37, 0.2, 0.15])
    amount = price * ltv
    r = 0.075 / 12
    instalment = np.round(amount * r / (1 - (1 + r) ** (-term)), 2)
    iir = np.round(instalment / income, 4)
    grade = rng.choice(list(GRADE_EFFECT), size=n, p=[0.3, 0.4, 0.2, 0.1])
    thin = rng.random(n) < 0.12
    inquiries = rng.poisson(1.5, n).astype(float)
    max_dpd = np.where(rng.random(n) < 0.8, 0, rng.choice([5, 15, 30, 60, 90], size=n)).astype(
        float
    )
    util = np.round(rng.beta(2, 3, n), 3)

    z = (
        -3.4
        + 3.0 * (ltv - 0.7)
        - 0.01 * (age - 40)
        + 0.0015 * (age - 40) ** 2
        + 2.5 * (iir - 0.25)
        + 0.012 * (term - 36)
        + np.vectorize(GRADE_EFFECT.get)(grade)
        + 0.22 * inquiries
        + 0.025 * max_dpd
        + 1.3 * (util - 0.4)
        + np.where(used, 0.08 * vehicle_age, 0.0)
        + np.vectorize(HOUSING_EFFECT.get)(housing)
        + np.vectorize(LINE_EFFECT.get)(line)
        + np.where(thin, 0.4, 0.0)
        - 0.04 * employment
        + rng.normal(0, 0.5, n)
    )
    p = 1 / (1 + np.exp(-z))
    default = (rng.random(n) < p).astype(int)

    inquiries[thin] = np.nan
    max_dpd[thin] = np.nan
    util[thin] = np.nan
    income = income.astype(float)
    income[rng.random(n) < 0.03] = np.nan
    employment[rng.random(n) < 0.05] = np.nan
    vehicle_age = np.where(used, vehicle_age, np.nan)
    mileage = np.where(used, mileage, np.nan)
    return pd.DataFrame(
        {
            "application_id": [f"A{seed:03d}{i:07d}" for i in range(n)],
            "product_line": line,
            "age": age,
            "income_monthly": income,
            "employment_years": employment,
            "housing": housing,
            "price": price,
            "vehicle_age_years": vehicle_age,
            "mileage_km": mileage,
            "down_payment_ratio": down_ratio,
            "ltv": ltv,
            "term_months": term,
            "instalment": instalment,
            "instalment_income_ratio": iir,
            "dealer_grade": grade,
            "inquiries_6m": inquiries,
            "max_dpd_24m": max_dpd,
            "cc_utilisation": util,
            "default": default,
        }
    )
