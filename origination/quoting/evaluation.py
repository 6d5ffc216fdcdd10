"""``quote_evaluate``: run the deal checks in order and, when the deal breaks none, price it
(schedule, APR, subsidy, penalty rate)."""

from __future__ import annotations

from collections.abc import Mapping

from autofin.pricing import (
    Method,
    PricingError,
    apr_irr,
    build_schedule,
    penalty_rate,
    subsidy_amount,
)
from origination.quoting.caps import RegulatoryCaps
from origination.quoting.checks import (
    DEAL_CHECKS,
    VEHICLE_CHECKS,
    DealFigures,
    QuoteCase,
    deal_figures,
)
from origination.quoting.deal import Deal, QuoteEvaluation
from origination.quoting.figures import ZERO
from origination.quoting.rules import ProductRules, rules_parse
from origination.quoting.violations import Violations, violation, violations_by_field
from origination.quoting.vocabulary import gettext_noop


def quote_evaluate(
    rules: ProductRules | Mapping, deal: Deal, *, caps: RegulatoryCaps | None = None
) -> QuoteEvaluation:
    """Check ``deal`` against the product ``rules`` and the regulatory ``caps`` and, when it
    breaks none, price it. Never raises for a bad deal: every problem is a violation."""
    rules = rules_parse(rules)
    caps = caps or RegulatoryCaps()
    if deal.value_date is None:
        raise ValueError("deal.value_date is required")
    figures = deal_figures(rules, deal)
    case = QuoteCase(rules=rules, caps=caps, deal=deal, figures=figures)
    checks = DEAL_CHECKS
    if not rules.finances_vehicle:
        checks = tuple(c for c in DEAL_CHECKS if c not in VEHICLE_CHECKS)
    v = violations_by_field(found for check in checks for found in check(case))
    base = _unpriced(figures, v)
    if v:
        return QuoteEvaluation(schedule=None, apr=None, **base)
    return _priced(case, base)


def _unpriced(f: DealFigures, violations: Violations) -> dict:
    """The evaluation's figures that need no schedule."""
    return {
        "fees": f.fees,
        "violations": violations,
        "down_payment": f.down_payment,
        "down_payment_ratio": f.down_payment_ratio,
        "vehicle_amount_financed": f.car_part,
        "ltv": f.ltv,
        "add_ons_total": f.add_ons_total,
        "financed_fees": f.financed_fees,
        "upfront_fees": f.upfront_fees,
        "amount_financed": f.amount_financed,
        "balloon_amount": f.balloon,
        "customer_rate": f.customer_rate,
        "lender_rate": f.lender_rate,
    }


def _priced(case: QuoteCase, base: dict) -> QuoteEvaluation:
    """The schedule and APR of a deal that keeps every rule; a deal the pricing engine cannot
    schedule comes back unpriced with that reason as its violation."""
    f, deal = case.figures, case.deal
    try:
        schedule = build_schedule(
            amount_financed=f.amount_financed,
            annual_rate=f.customer_rate,
            term_months=deal.term_months,
            method=Method.parse(deal.method),
            value_date=deal.value_date,
            day_count=case.rules.day_count,
            balloon_amount=f.balloon,
            fee_per_instalment=f.fee_per_instalment,
        )
        # The customer receives the amount financed less every fee (financed fees are principal
        # the customer owes but never receives), and pays each instalment: PBoC 2021 No. 3.
        apr = apr_irr(schedule, upfront_fees=f.financed_fees + f.upfront_fees)
        subsidy = (
            subsidy_amount(schedule, lender_rate=f.lender_rate)
            if f.customer_rate < f.lender_rate
            else ZERO
        )
    except PricingError as exc:
        failed = violation(
            "non_field_errors",
            exc.code,
            gettext_noop("无法计算还款计划：%(reason)s"),
            reason=exc.message,
        )
        violations_by_field([failed], into=base["violations"])
        return QuoteEvaluation(schedule=None, apr=None, **base)
    penalty = penalty_rate(f.customer_rate, case.rules.penalty_markup)
    return QuoteEvaluation(
        schedule=schedule, apr=apr, subsidy_amount=subsidy, penalty_rate=penalty, **base
    )
