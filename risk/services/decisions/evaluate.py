"""The pure decision: a function of the facts, the gathered inputs, the rules and the scorecard
artefact. It runs the rules, scores, picks the tier and rate, checks affordability and decides:

1. any hard rule hits                         -> decline (the rules' reason codes)
2. no scorecard for the product line          -> refer (N01_NO_SCORECARD)
3. score below the strategy's decline line    -> decline (S01_SCORE_LOW)
4. any referral rule or anti-fraud hit        -> refer (their reason codes)
5. score below the auto-approve line          -> refer (S02_SCORE_REVIEW)
6. the requested deal passes the product terms, instalment / income <= the cap (50 %) and
   (bureau monthly debt payments + instalment) / income <= the tier's debt-to-income cap
   (policy risk.dti_cap.<tier>, read when the decision is made and stored in its inputs)
                                              -> approve (conditions: GPS for tiers C/D, ...)
7. else the first passing alternative: same amount over a longer allowed term, or a smaller
   amount (larger down payment) at the requested or a longer term -> counter_offer (C01)
8. else                                       -> decline (A01_AFFORDABILITY /
                                                 A03_DEBT_TO_INCOME / A02_PRODUCT_TERMS)

"Income" in 6-8 (and for the scorecard) is the income the authorised sources verified when
they show less than declared (risk.facts.income_for_decision), with V01_INCOME_VERIFIED_LOWER
beside the outcome's reasons; otherwise the declared income.

Everything ``decision_evaluate`` reads is stored on the Decision (facts, inputs, rule set and
scorecard version), so ``decision_replay`` recomputes it and reports any difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from risk.facts import dec, income_verified_below, scoring_features, section
from risk.rules import CONDITIONS, ENGINE_REASONS, RuleContext, rules_evaluate
from risk.scorecard import CompiledScorecard
from risk.services.decisions.affordability import (
    Terms,
    amount_cap,
    counter_offer,
    deal_failures,
    debt_to_income,
    offer_for,
    terms_from_facts,
)
from risk.services.strategy import score_outcome, tier_for


def jsonable(value: Any) -> Any:
    """``value`` as it reads back from a JSON column (Decimals and dates become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass
class Evaluation:
    outcome: str
    score: int | None = None
    bins: dict = field(default_factory=dict)
    tier: str = ""
    reasons: list[dict] = field(default_factory=list)
    conditions: list[dict] = field(default_factory=list)
    offer: dict = field(default_factory=dict)
    annual_rate: Decimal | None = None
    suggested_limit: Decimal | None = None

    def comparable(self) -> dict:
        return {
            "outcome": self.outcome,
            "score": self.score,
            "tier": self.tier,
            "reason_codes": [r["code"] for r in self.reasons],
            "conditions": [c["code"] for c in self.conditions],
            "offer": jsonable(self.offer),
            "annual_rate": str(self.annual_rate) if self.annual_rate is not None else None,
            "suggested_limit": str(self.suggested_limit)
            if self.suggested_limit is not None
            else None,
        }


def _engine_reason(code: str, evidence: dict | None = None) -> dict:
    kind, text = ENGINE_REASONS[code]
    with translation.override("zh-hans"):
        return {"code": code, "kind": kind, "explanation": str(text), "evidence": evidence or {}}


def _condition(code: str) -> dict:
    with translation.override("zh-hans"):
        return {"code": code, "explanation": str(CONDITIONS[code])}


def _rate_for(tier: str, rate_table: dict) -> Decimal | None:
    if not rate_table:
        return None
    if tier in rate_table:
        return dec(rate_table[tier])
    return max(dec(v) for v in rate_table.values())  # unknown tier: the dearest rate


def _priced_terms(ev: Evaluation, facts: dict, inputs: dict) -> Terms | None:
    """The deal's terms at the tier's rate; records the rate and the suggested limit on ``ev``."""
    product = section(facts, "product_rules")
    rate = _rate_for(ev.tier, product.get("rate_table") or {})
    ev.annual_rate = rate
    # Decisions stored before the cap existed carry no dti_caps: they replay without it.
    max_dti = dec((inputs.get("dti_caps") or {}).get(ev.tier))
    terms = terms_from_facts(facts, inputs, rate, max_dti) if rate is not None else None
    if terms is not None:
        term = int(section(facts, "deal").get("term_months") or 0)
        cap = amount_cap(terms, term)
        ev.suggested_limit = (
            cap.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if cap is not None else None
        )
    return terms


def _conditions(tier: str, facts: dict) -> list[dict]:
    if section(facts, "deal").get("purpose", "vehicle") != "vehicle":
        return []  # maintenance or insurance credit: no car is financed, none is secured
    conditions = []
    if tier in ("C", "D") or section(facts, "product_rules").get("gps_required"):
        conditions.append(_condition("GPS_REQUIRED"))
    if section(facts, "deal").get("contract_type", "loan") == "loan":
        conditions.append(_condition("MORTGAGE_REGISTRATION"))
    return conditions


def _income_note(facts: dict, inputs: dict) -> list[dict]:
    """V01 when the sources verified less income than declared and the terms were judged on it:
    the underwriter reads both figures beside the outcome's own reasons."""
    verified = income_verified_below(inputs)
    if verified is None:
        return []
    evidence = {
        "declared_monthly_income": section(facts, "applicant").get("income_monthly"),
        "verified_monthly_income": verified["monthly_income"],
        "income_sources_below": verified["sources"],
    }
    return [_engine_reason("V01_INCOME_VERIFIED_LOWER", evidence)]


def _decide_on_terms(ev: Evaluation, facts: dict, inputs: dict, terms: Terms) -> Evaluation:
    """Steps 6-8: approve the requested deal, else counter-offer, else decline; on the verified
    income when the sources showed less than declared (then V01 says so)."""
    ev = _decide_on_requested(ev, facts, terms)
    ev.reasons = [*ev.reasons, *_income_note(facts, inputs)]
    return ev


def _decide_on_requested(ev: Evaluation, facts: dict, terms: Terms) -> Evaluation:
    deal = section(facts, "deal")
    amount = dec(deal.get("amount_financed"))
    term = int(deal.get("term_months") or 0)
    conditions = _conditions(ev.tier, facts)
    failures, instalment = deal_failures(terms, amount, term)
    if not failures:
        ev.outcome = "approve"
        ev.offer = offer_for(terms, amount, term, instalment)
        ev.conditions = conditions
        return ev
    offer = counter_offer(terms, amount, term)
    evidence = {"failures": failures, "requested_instalment": instalment}
    if "debt_to_income" in failures:
        evidence |= {
            "debt_to_income": debt_to_income(terms, instalment),
            "max_dti": terms.max_dti,
            "monthly_debt_payments": terms.other_debt,
        }
    if offer is not None:
        ev.outcome = "counter_offer"
        ev.offer = offer
        ev.conditions = conditions
        ev.reasons = [_engine_reason("C01_COUNTER_OFFER", evidence)]
        return ev
    codes = []
    if "affordability" in failures:
        codes.append("A01_AFFORDABILITY")
    # Without debts at the bureau the debt-to-income ratio is the instalment ratio: A01 says it.
    if "debt_to_income" in failures and (terms.other_debt > 0 or not codes):
        codes.append("A03_DEBT_TO_INCOME")
    codes = codes or ["A02_PRODUCT_TERMS"]
    ev.outcome = "decline"
    ev.reasons = [_engine_reason(code, evidence) for code in codes]
    return ev


def _decide_preapproved(ev: Evaluation, facts: dict, check: dict, refers: list) -> Evaluation:
    """An application taking up a pre-approved offer: no hard rule hit (checked before), so
    when the offer still holds (preapproval_recheck, in the inputs) and no referral rule or
    anti-fraud check hit, it is approved at the pre-approved tier's rate of its product;
    otherwise an underwriter looks at it. The scorecard is not asked: the customer's own
    repayment history with us is the evidence the offer was made on."""
    if refers or not check.get("holds"):
        ev.outcome = "refer"
        ev.reasons = [*refers]
        if not check.get("holds"):
            problems = {"problems": check.get("problems") or []}
            ev.reasons.append(_engine_reason("P02_PREAPPROVAL_CHANGED", problems))
        return ev
    tier = (check.get("now") or {}).get("tier") or "A"
    rate = _rate_for(tier, section(facts, "product_rules").get("rate_table") or {})
    if rate is None:
        ev.outcome = "refer"
        ev.reasons = [_engine_reason("A02_PRODUCT_TERMS", {"missing": "rate_table"})]
        return ev
    ev.outcome, ev.tier, ev.annual_rate = "approve", tier, rate
    ev.reasons = [_engine_reason("P01_PREAPPROVED", {"limit": check["now"]["limit_amount"]})]
    ev.conditions = _conditions(tier, facts)
    return ev


def decision_evaluate(
    *, facts: dict, inputs: dict, rules: list[dict], scorecard: CompiledScorecard | None
) -> Evaluation:
    ctx = RuleContext(facts=facts, inputs=inputs)
    hits = rules_evaluate(ctx, rules)
    strategy = inputs["strategy"]
    scored = scorecard.score(scoring_features(facts, inputs)) if scorecard else None
    score = scored.score if scored else None
    tier = tier_for(score, strategy["tier_cutoffs"]) if scored else ""
    ev = Evaluation(outcome="refer", score=score, bins=scored.bins if scored else {}, tier=tier)

    declines = [h for h in hits if h["kind"] == "decline"]
    refers = [h for h in hits if h["kind"] == "refer"]
    if declines:
        ev.outcome, ev.reasons = "decline", declines
        return ev
    if inputs.get("preapproval"):
        return _decide_preapproved(ev, facts, inputs["preapproval"], refers)
    if scored is None:
        ev.outcome, ev.reasons = "refer", [*refers, _engine_reason("N01_NO_SCORECARD")]
        return ev
    by_score = score_outcome(score, strategy["approve_above"], strategy["decline_below"])
    if by_score == "decline":
        ev.outcome = "decline"
        ev.reasons = [
            _engine_reason(
                "S01_SCORE_LOW", {"score": score, "decline_below": strategy["decline_below"]}
            )
        ]
        return ev

    terms = _priced_terms(ev, facts, inputs)
    if refers or by_score == "refer":
        ev.outcome = "refer"
        ev.reasons = list(refers)
        if by_score == "refer":
            ev.reasons.append(
                _engine_reason(
                    "S02_SCORE_REVIEW", {"score": score, "approve_above": strategy["approve_above"]}
                )
            )
        return ev
    if terms is None:
        ev.outcome, ev.reasons = (
            "refer",
            [_engine_reason("A02_PRODUCT_TERMS", {"missing": "rate_table or price"})],
        )
        return ev
    return _decide_on_terms(ev, facts, inputs, terms)
