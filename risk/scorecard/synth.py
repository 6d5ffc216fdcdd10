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


# Every step draws from the one generator in a fixed order: the order of the draws is part of
# the data set (a seed gives the same table), so steps run in the order below.


def _applicant(rng: np.random.Generator, n: int) -> dict:
    age = np.clip(rng.normal(36, 9, n), 18, 64).round().astype(int)
    income = np.round(np.exp(rng.normal(np.log(12000), 0.45, n)), -1)
    employment = np.clip(rng.gamma(2.0, 3.0, n), 0, 40).round(1)
    housing = rng.choice(list(HOUSING_EFFECT), size=n, p=[0.35, 0.25, 0.3, 0.1])
    return {"age": age, "income": income, "employment": employment, "housing": housing}


def _vehicle_and_deal(rng: np.random.Generator, n: int, used: np.ndarray, income) -> dict:
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
    return {
        "price": price,
        "vehicle_age": vehicle_age,
        "mileage": mileage,
        "down_ratio": down_ratio,
        "ltv": ltv,
        "term": term,
        "instalment": instalment,
        "iir": np.round(instalment / income, 4),
    }


def _dealer_and_bureau(rng: np.random.Generator, n: int) -> dict:
    grade = rng.choice(list(GRADE_EFFECT), size=n, p=[0.3, 0.4, 0.2, 0.1])
    thin = rng.random(n) < 0.12
    inquiries = rng.poisson(1.5, n).astype(float)
    max_dpd = np.where(rng.random(n) < 0.8, 0, rng.choice([5, 15, 30, 60, 90], size=n)).astype(
        float
    )
    util = np.round(rng.beta(2, 3, n), 3)
    return {"grade": grade, "thin": thin, "inquiries": inquiries, "max_dpd": max_dpd, "util": util}


def _default_flag(rng: np.random.Generator, n: int, line, used, c: dict) -> np.ndarray:
    """The business's expected relations to default (see the module's docstring), plus noise."""
    z = (
        -3.4
        + 3.0 * (c["ltv"] - 0.7)
        - 0.01 * (c["age"] - 40)
        + 0.0015 * (c["age"] - 40) ** 2
        + 2.5 * (c["iir"] - 0.25)
        + 0.012 * (c["term"] - 36)
        + np.vectorize(GRADE_EFFECT.get)(c["grade"])
        + 0.22 * c["inquiries"]
        + 0.025 * c["max_dpd"]
        + 1.3 * (c["util"] - 0.4)
        + np.where(used, 0.08 * c["vehicle_age"], 0.0)
        + np.vectorize(HOUSING_EFFECT.get)(c["housing"])
        + np.vectorize(LINE_EFFECT.get)(line)
        + np.where(c["thin"], 0.4, 0.0)
        - 0.04 * c["employment"]
        + rng.normal(0, 0.5, n)
    )
    p = 1 / (1 + np.exp(-z))
    return (rng.random(n) < p).astype(int)


def _blank_the_unknown(rng: np.random.Generator, n: int, used, c: dict) -> None:
    """What an application would not carry: bureau columns of thin files, a few incomes and
    employment lengths, vehicle age and mileage of new cars."""
    thin = c["thin"]
    c["inquiries"][thin] = np.nan
    c["max_dpd"][thin] = np.nan
    c["util"][thin] = np.nan
    c["income"] = c["income"].astype(float)
    c["income"][rng.random(n) < 0.03] = np.nan
    c["employment"][rng.random(n) < 0.05] = np.nan
    c["vehicle_age"] = np.where(used, c["vehicle_age"], np.nan)
    c["mileage"] = np.where(used, c["mileage"], np.nan)


def make_credit_data(rows: int, seed: int = 0, product_line: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rows)
    if product_line:
        line = np.full(n, product_line, dtype=object)
    else:
        line = rng.choice(PRODUCT_LINES, size=n, p=[0.45, 0.3, 0.15, 0.1])
    used = line == "used"
    c = _applicant(rng, n)
    c |= _vehicle_and_deal(rng, n, used, c["income"])
    c |= _dealer_and_bureau(rng, n)
    default = _default_flag(rng, n, line, used, c)
    _blank_the_unknown(rng, n, used, c)
    return pd.DataFrame(
        {
            "application_id": [f"A{seed:03d}{i:07d}" for i in range(n)],
            "product_line": line,
            "age": c["age"],
            "income_monthly": c["income"],
            "employment_years": c["employment"],
            "housing": c["housing"],
            "price": c["price"],
            "vehicle_age_years": c["vehicle_age"],
            "mileage_km": c["mileage"],
            "down_payment_ratio": c["down_ratio"],
            "ltv": c["ltv"],
            "term_months": c["term"],
            "instalment": c["instalment"],
            "instalment_income_ratio": c["iir"],
            "dealer_grade": c["grade"],
            "inquiries_6m": c["inquiries"],
            "max_dpd_24m": c["max_dpd"],
            "cc_utilisation": c["util"],
            "default": default,
        }
    )
