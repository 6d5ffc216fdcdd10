"""Affordability and offers: the product's terms and the applicant's income applied to a deal.

An amount and term pass when they are within the product's terms (allowed terms, amount range,
LTV cap, minimum down payment), the instalment / income is within the cap (50 % unless the
product says otherwise) and, when the decision carries a debt-to-income cap for the tier, the
bureau's monthly debt payments plus the instalment over the income are within it. When the
requested deal fails, the counter offer is the first passing alternative: the same amount over
a longer allowed term, or a smaller amount (a larger down payment) at the requested or a longer
term; so a counter offer respects both caps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from autofin.pricing import PricingError, build_schedule
from risk.facts import debt_to_income_ratio, dec, income_for_decision, section

DEFAULT_MAX_IIR = Decimal("0.50")
ROUND_TO = Decimal(100)  # counter-offer amounts are whole hundreds of yuan


@dataclass(frozen=True)
class Terms:
    price: Decimal
    addons: Decimal  # financed add-ons: amount financed minus the car's part
    income: Decimal | None
    rate: Decimal
    method: str
    value_date: dt.date
    day_count: str
    ltv_cap: Decimal | None
    min_down_ratio: Decimal | None
    terms_allowed: list[int]
    amount_min: Decimal | None
    amount_max: Decimal | None
    max_iir: Decimal
    # debt-to-income: the bureau's monthly debt payments and the tier's cap (None: not checked,
    # as in decisions made before the cap existed, so they replay unchanged)
    other_debt: Decimal = Decimal(0)
    max_dti: Decimal | None = None


def _method_for_affordability(method: str) -> str:
    # A balloon's level instalment is lower than the plain one: judge affordability on the plain
    # equal-instalment schedule (conservative).
    return (
        method
        if method in ("equal_instalment", "equal_principal", "interest_only")
        else "equal_instalment"
    )


def _instalment(t: Terms, amount: Decimal, term: int) -> Decimal:
    method = _method_for_affordability(t.method)
    schedule = build_schedule(
        amount_financed=amount,
        annual_rate=t.rate,
        term_months=term,
        method=method,
        value_date=t.value_date,
        day_count=t.day_count,
    )
    if method == "interest_only":
        return schedule.rows[0].instalment
    return max(row.instalment for row in schedule.rows)


def deal_failures(t: Terms, amount: Decimal, term: int) -> tuple[list[str], Decimal | None]:
    """What the deal fails (term, amount_min, amount_max, ltv, down_payment, pricing,
    affordability, debt_to_income), and its instalment."""
    failures = []
    if t.terms_allowed and term not in t.terms_allowed:
        failures.append("term")
    if t.amount_min is not None and amount < t.amount_min:
        failures.append("amount_min")
    if t.amount_max is not None and amount > t.amount_max:
        failures.append("amount_max")
    car_part = amount - t.addons
    if t.ltv_cap is not None and t.price and car_part / t.price > t.ltv_cap:
        failures.append("ltv")
    if (
        t.min_down_ratio is not None
        and t.price
        and (t.price - car_part) / t.price < t.min_down_ratio
    ):
        failures.append("down_payment")
    instalment = None
    if amount > 0:
        try:
            instalment = _instalment(t, amount, term)
        except PricingError:
            failures.append("pricing")
    if t.income and instalment is not None and instalment / t.income > t.max_iir:
        failures.append("affordability")
    dti = debt_to_income_ratio(income=t.income, other_debt=t.other_debt, instalment=instalment)
    if t.max_dti is not None and dti is not None and dti > t.max_dti:
        failures.append("debt_to_income")
    return failures, instalment


def debt_to_income(t: Terms, instalment: Decimal | None) -> Decimal | None:
    """(bureau monthly debt payments + instalment) / income, to 4 places (the evidence shown)."""
    ratio = debt_to_income_ratio(income=t.income, other_debt=t.other_debt, instalment=instalment)
    return None if ratio is None else ratio.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _affordable_amount(t: Terms, term: int) -> Decimal | None:
    """The largest amount whose instalment is within the cap (before rounding checks)."""
    if not t.income:
        return None
    cap = t.income * t.max_iir
    if t.max_dti is not None:
        # what the existing debts leave of the debt-to-income cap; nothing left: no amount
        cap = max(min(cap, t.income * t.max_dti - t.other_debt), Decimal(0))
    r = t.rate / 12
    method = _method_for_affordability(t.method)
    if method == "interest_only":
        return cap / r if r else None
    if method == "equal_principal":
        return cap / (Decimal(1) / term + r)
    if r == 0:
        return cap * term
    return cap * (1 - (1 + r) ** -term) / r


def amount_cap(t: Terms, term: int) -> Decimal | None:
    """The largest whole-hundred amount the product and the applicant's income allow."""
    caps = [c for c in (t.amount_max, _affordable_amount(t, term)) if c is not None]
    if t.ltv_cap is not None and t.price:
        caps.append(t.addons + t.price * t.ltv_cap)
    if t.min_down_ratio is not None and t.price:
        caps.append(t.addons + t.price * (1 - t.min_down_ratio))
    if not caps:
        return None
    return (min(caps) / ROUND_TO).to_integral_value(rounding=ROUND_DOWN) * ROUND_TO


def offer_for(t: Terms, amount: Decimal, term: int, instalment: Decimal) -> dict:
    car_part = amount - t.addons
    return {
        "amount_financed": amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "down_payment": (t.price - car_part).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "term_months": term,
        "instalment": instalment,
        "annual_rate": t.rate,
        "ltv": (car_part / t.price).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        if t.price
        else None,
        "method": t.method,
    }


def counter_offer(t: Terms, amount: Decimal, term: int) -> dict | None:
    longer = sorted(x for x in t.terms_allowed if x > term)
    for candidate in longer:
        failures, instalment = deal_failures(t, amount, candidate)
        if not failures:
            return offer_for(t, amount, candidate, instalment)
    for candidate in [term, *longer]:
        if t.terms_allowed and candidate not in t.terms_allowed:
            continue
        cap = amount_cap(t, candidate)
        if cap is None or cap >= amount:
            continue
        smaller = cap
        for _step in range(20):  # rounding of the instalment may need a notch or two
            if t.amount_min is not None and smaller < t.amount_min or smaller <= 0:
                break
            failures, instalment = deal_failures(t, smaller, candidate)
            if not failures:
                return offer_for(t, smaller, candidate, instalment)
            smaller -= ROUND_TO
    return None


def terms_from_facts(
    facts: dict, inputs: dict, rate: Decimal, max_dti: Decimal | None = None
) -> Terms | None:
    """The deal's terms at ``rate`` (with the debt-to-income cap ``max_dti`` if given), or None
    when the facts carry no price or amount."""
    deal = section(facts, "deal")
    rules = section(facts, "product_rules")
    price = dec(deal.get("price"))
    amount = dec(deal.get("amount_financed"))
    if not price or amount is None:
        return None
    ltv = dec(deal.get("ltv"))
    car_part = (
        ltv * price if ltv is not None else (price - dec(deal.get("down_payment"), Decimal(0)))
    )
    return Terms(
        price=price,
        addons=max(amount - car_part, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        income=income_for_decision(facts, inputs),
        rate=rate,
        method=deal.get("method") or "equal_instalment",
        value_date=dt.date.fromisoformat(inputs["value_date"]),
        day_count=rules.get("day_count") or "30/360",
        ltv_cap=dec(rules.get("ltv_cap")),
        min_down_ratio=dec(rules.get("min_down_payment_ratio")),
        terms_allowed=[int(x) for x in rules.get("terms_allowed") or []],
        amount_min=dec(rules.get("amount_min")),
        amount_max=dec(rules.get("amount_max")),
        max_iir=dec(rules.get("max_instalment_income_ratio"), DEFAULT_MAX_IIR),
        other_debt=dec((inputs.get("bureau") or {}).get("monthly_debt_payments"), Decimal(0)),
        max_dti=max_dti,
    )
