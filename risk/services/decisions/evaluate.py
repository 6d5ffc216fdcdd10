"""Automated credit decisions.

``decision_make`` gathers what the facts do not carry (bureau report, three-factor
verification, phone status, vehicle valuation, blacklist, anti-fraud checks, the strategy in
force), then ``decision_evaluate`` — a pure function of facts, inputs, rules and the scorecard
artefact — runs the rules, scores, picks the tier and rate, checks affordability and decides:

1. any hard rule hits                         -> decline (the rules' reason codes)
2. no scorecard for the product line          -> refer (N01_NO_SCORECARD)
3. score below the strategy's decline line    -> decline (S01_SCORE_LOW)
4. any referral rule or anti-fraud hit        -> refer (their reason codes)
5. score below the auto-approve line          -> refer (S02_SCORE_REVIEW)
6. the requested deal passes the product terms and instalment / income <= the cap (50 %)
                                              -> approve (conditions: GPS for tiers C/D, ...)
7. else the first passing alternative: same amount over a longer allowed term, or a smaller
   amount (larger down payment) at the requested or a longer term -> counter_offer (C01)
8. else                                       -> decline (A01_AFFORDABILITY / A02_PRODUCT_TERMS)

Everything ``decision_evaluate`` read is stored on the Decision (facts, inputs, rule set and
scorecard version), so ``decision_replay`` recomputes it and reports any difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.pricing import PricingError, build_schedule
from risk import adapters
from risk.facts import dec, scoring_features, section
from risk.models import (
    BlacklistEntry,
    Decision,
    DecisionReviewRequest,
    RuleSet,
    ScorecardVersion,
)
from risk.rules import CONDITIONS, ENGINE_REASONS, RuleContext, rules_evaluate
from risk.scorecard import CompiledScorecard
from risk.services.fraud import fraud_checks_run
from risk.services.rulesets import rule_set_default_ensure, rules_of
from risk.services.scorecards import (
    compiled_for,
    score_records_store,
    scorecard_for,
    versions_for_scoring,
)
from risk.services.strategy import score_outcome, strategy_snapshot, tier_for

ENGINE_ACTOR = "risk-engine"
DEFAULT_MAX_IIR = Decimal("0.50")
ROUND_TO = Decimal(100)  # counter-offer amounts are whole hundreds of yuan


class DecisionError(ValueError):
    pass


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
            "offer": _jsonable(self.offer),
            "annual_rate": str(self.annual_rate) if self.annual_rate is not None else None,
            "suggested_limit": str(self.suggested_limit)
            if self.suggested_limit is not None
            else None,
        }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _engine_reason(code: str, evidence: dict | None = None) -> dict:
    kind, text = ENGINE_REASONS[code]
    with translation.override("zh-hans"):
        return {"code": code, "kind": kind, "explanation": str(text), "evidence": evidence or {}}


def _condition(code: str) -> dict:
    with translation.override("zh-hans"):
        return {"code": code, "explanation": str(CONDITIONS[code])}


# --- affordability and offers -------------------------------------------------------------


@dataclass(frozen=True)
class _Terms:
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


def _method_for_affordability(method: str) -> str:
    # A balloon's level instalment is lower than the plain one: judge affordability on the plain
    # equal-instalment schedule (conservative).
    return (
        method
        if method in ("equal_instalment", "equal_principal", "interest_only")
        else "equal_instalment"
    )


def _instalment(t: _Terms, amount: Decimal, term: int) -> Decimal:
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


def _failures(t: _Terms, amount: Decimal, term: int) -> tuple[list[str], Decimal | None]:
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
    return failures, instalment


def _affordable_amount(t: _Terms, term: int) -> Decimal | None:
    """The largest amount whose instalment is within the cap (before rounding checks)."""
    if not t.income:
        return None
    cap = t.income * t.max_iir
    r = t.rate / 12
    method = _method_for_affordability(t.method)
    if method == "interest_only":
        return cap / r if r else None
    if method == "equal_principal":
        return cap / (Decimal(1) / term + r)
    if r == 0:
        return cap * term
    return cap * (1 - (1 + r) ** -term) / r


def _amount_cap(t: _Terms, term: int) -> Decimal | None:
    caps = [c for c in (t.amount_max, _affordable_amount(t, term)) if c is not None]
    if t.ltv_cap is not None and t.price:
        caps.append(t.addons + t.price * t.ltv_cap)
    if t.min_down_ratio is not None and t.price:
        caps.append(t.addons + t.price * (1 - t.min_down_ratio))
    if not caps:
        return None
    return (min(caps) / ROUND_TO).to_integral_value(rounding=ROUND_DOWN) * ROUND_TO


def _offer(t: _Terms, amount: Decimal, term: int, instalment: Decimal) -> dict:
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


def _counter_offer(t: _Terms, amount: Decimal, term: int) -> dict | None:
    longer = sorted(x for x in t.terms_allowed if x > term)
    for candidate in longer:
        failures, instalment = _failures(t, amount, candidate)
        if not failures:
            return _offer(t, amount, candidate, instalment)
    for candidate in [term, *longer]:
        if t.terms_allowed and candidate not in t.terms_allowed:
            continue
        cap = _amount_cap(t, candidate)
        if cap is None or cap >= amount:
            continue
        smaller = cap
        for _step in range(20):  # rounding of the instalment may need a notch or two
            if t.amount_min is not None and smaller < t.amount_min or smaller <= 0:
                break
            failures, instalment = _failures(t, smaller, candidate)
            if not failures:
                return _offer(t, smaller, candidate, instalment)
            smaller -= ROUND_TO
    return None


def _terms(facts: dict, inputs: dict, rate: Decimal) -> _Terms | None:
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
    return _Terms(
        price=price,
        addons=max(amount - car_part, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        income=dec(section(facts, "applicant").get("income_monthly")),
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
    )


def _rate_for(tier: str, rate_table: dict) -> Decimal | None:
    if not rate_table:
        return None
    if tier in rate_table:
        return dec(rate_table[tier])
    return max(dec(v) for v in rate_table.values())  # unknown tier: the dearest rate


# --- the pure decision --------------------------------------------------------------------


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

    product = section(facts, "product_rules")
    rate = _rate_for(tier, product.get("rate_table") or {})
    ev.annual_rate = rate
    terms = _terms(facts, inputs, rate) if rate is not None else None
    deal = section(facts, "deal")
    amount = dec(deal.get("amount_financed"))
    term = int(deal.get("term_months") or 0)
    if terms is not None:
        cap = _amount_cap(terms, term)
        ev.suggested_limit = (
            cap.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if cap is not None else None
        )

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

    conditions = []
    if tier in ("C", "D") or product.get("gps_required"):
        conditions.append(_condition("GPS_REQUIRED"))
    if deal.get("contract_type", "loan") == "loan":
        conditions.append(_condition("MORTGAGE_REGISTRATION"))

    failures, instalment = _failures(terms, amount, term)
    if not failures:
        ev.outcome = "approve"
        ev.offer = _offer(terms, amount, term, instalment)
        ev.conditions = conditions
        return ev
    offer = _counter_offer(terms, amount, term)
    if offer is not None:
        ev.outcome = "counter_offer"
        ev.offer = offer
        ev.conditions = conditions
        ev.reasons = [
            _engine_reason(
                "C01_COUNTER_OFFER",
                {"failures": failures, "requested_instalment": instalment},
            )
        ]
        return ev
    code = "A01_AFFORDABILITY" if "affordability" in failures else "A02_PRODUCT_TERMS"
    ev.outcome = "decline"
    ev.reasons = [_engine_reason(code, {"failures": failures, "requested_instalment": instalment})]
    return ev


# --- gathering inputs and storing ---------------------------------------------------------


def _normalise(facts: dict) -> dict:
    if not isinstance(facts, dict):
        raise DecisionError("facts must be a dict")
    return _jsonable(facts)


def _external_inputs(facts: dict) -> dict:
    applicant = section(facts, "applicant")
    deal = section(facts, "deal")
    vehicle = dict(section(deal, "vehicle"))
    vehicle.setdefault("kind", deal.get("product_line"))
    id_hash = applicant.get("id_hash") or ""
    phone_hash = applicant.get("phone_hash") or ""
    return _jsonable(
        {
            "bureau": adapters.bureau_adapter().report(
                id_hash=id_hash, id_number_encrypted=applicant.get("id_number_encrypted", "")
            ),
            "verification": adapters.verification_adapter().three_factor(
                id_hash=id_hash, phone_hash=phone_hash
            ),
            "phone": adapters.phone_adapter().status(phone_hash=phone_hash) if phone_hash else {},
            "valuation": adapters.valuation_adapter().value(
                vehicle=vehicle, price=dec(deal.get("price"))
            ),
        }
    )


def _blacklist_hits(facts: dict) -> list[str]:
    applicant = section(facts, "applicant")
    q = Q()
    for kind, key in (
        ("id_number", "id_hash"),
        ("phone", "phone_hash"),
        ("bank_account", "bank_account_hash"),
    ):
        if applicant.get(key):
            q |= Q(kind=kind, value_hash=applicant[key])
    if not q:
        return []
    return sorted(set(BlacklistEntry.objects.filter(q).values_list("kind", flat=True)))


def _existing(application_ref: str, rule_set: RuleSet, idempotency_key: str | None):
    q = Q(application_ref=application_ref, rule_set=rule_set)
    if idempotency_key:
        q |= Q(idempotency_key=idempotency_key)
    return Decision.objects.filter(q).order_by("pk").first()


def _advisory_lock(application_ref: str) -> None:
    key = int.from_bytes(
        hashlib.sha256(f"risk.decision:{application_ref}".encode()).digest()[:8], "big", signed=True
    )
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def decision_make(
    *, application_ref: str, facts: dict, idempotency_key: str | None = None
) -> Decision:
    """Decide an application from its facts (schema: risk.facts.Facts). Idempotent per
    (application_ref, rule-set version) and per ``idempotency_key``: a repeated call returns
    the stored decision and changes nothing."""
    if not application_ref:
        raise DecisionError("application_ref is required")
    facts = _normalise(facts)
    rule_set = rule_set_default_ensure()
    existing = _existing(application_ref, rule_set, idempotency_key)
    if existing is not None:
        return existing
    external = _external_inputs(facts)  # outside the transaction: no lock held during calls
    deal = section(facts, "deal")
    product_line = deal.get("product_line") or ""
    rules = rules_of(rule_set)
    try:
        with transaction.atomic():
            _advisory_lock(application_ref)
            existing = _existing(application_ref, rule_set, idempotency_key)
            if existing is not None:
                return existing
            now = timezone.now()
            inputs = {
                **external,
                "blacklist": _blacklist_hits(facts),
                "strategy": strategy_snapshot(product_line),
                "value_date": business_date_current().isoformat(),
                "decided_at": now.isoformat(),
            }
            inputs["fraud"] = _jsonable(
                fraud_checks_run(application_ref=application_ref, facts=facts, rules=rules, now=now)
            )
            scorecard = scorecard_for(
                product_line=product_line, contract_type=deal.get("contract_type") or ""
            )
            champion, challengers = versions_for_scoring(scorecard, application_ref)
            compiled = compiled_for(champion) if champion else None
            ev = decision_evaluate(facts=facts, inputs=inputs, rules=rules, scorecard=compiled)
            scored = []
            if champion is not None:
                scored.append(
                    (champion, "champion", compiled.score(scoring_features(facts, inputs)))
                )
            shadow = {}
            for v in challengers:
                result = compiled_for(v).score(scoring_features(facts, inputs))
                scored.append((v, "challenger", result))
                shadow[str(v.pk)] = result.score
            if shadow:
                inputs["challenger_scores"] = shadow
            score_records_store(
                application_ref=application_ref, product_line=product_line, scored=scored
            )
            decision = Decision.objects.create(
                application_ref=application_ref,
                idempotency_key=idempotency_key or None,
                rule_set=rule_set,
                scorecard_version=champion,
                facts=facts,
                inputs=inputs,
                score=ev.score,
                tier=ev.tier,
                outcome=ev.outcome,
                reasons=_jsonable(ev.reasons),
                conditions=ev.conditions,
                offer=_jsonable(ev.offer),
                annual_rate=ev.annual_rate,
                suggested_limit=ev.suggested_limit,
            )
            audit_record(
                actor=ENGINE_ACTOR,
                obj=decision,
                action="decision_make",
                to_state=ev.outcome,
                data={"reason_codes": decision.reason_codes, "score": ev.score},
            )
    except IntegrityError:
        # A concurrent caller with the same idempotency key won the race: return its decision.
        existing = _existing(application_ref, rule_set, idempotency_key)
        if existing is None:
            raise
        return existing
    return decision


@dataclass
class ReplayResult:
    decision: Decision
    matches: bool
    stored: dict
    recomputed: dict
    differences: dict


def decision_replay(decision_id: int) -> ReplayResult:
    """Recompute a stored decision from its stored facts, inputs, rule-set version and scorecard
    version, and compare."""
    decision = Decision.objects.select_related("rule_set", "scorecard_version").get(pk=decision_id)
    version: ScorecardVersion | None = decision.scorecard_version
    ev = decision_evaluate(
        facts=decision.facts,
        inputs=decision.inputs,
        rules=rules_of(decision.rule_set),
        scorecard=compiled_for(version) if version else None,
    )
    recomputed = ev.comparable()
    stored = {
        "outcome": decision.outcome,
        "score": decision.score,
        "tier": decision.tier,
        "reason_codes": decision.reason_codes,
        "conditions": [c["code"] for c in decision.conditions],
        "offer": decision.offer,
        "annual_rate": str(decision.annual_rate) if decision.annual_rate is not None else None,
        "suggested_limit": str(decision.suggested_limit)
        if decision.suggested_limit is not None
        else None,
    }
    # Decimal fields come back from the database at their column precision.
    for key in ("annual_rate", "suggested_limit"):
        if (
            stored[key] is not None
            and recomputed[key] is not None
            and Decimal(stored[key]) == Decimal(recomputed[key])
        ):
            recomputed[key] = stored[key]
    differences = {
        k: {"stored": stored[k], "recomputed": recomputed[k]}
        for k in stored
        if stored[k] != recomputed[k]
    }
    return ReplayResult(decision, not differences, stored, recomputed, differences)


def decision_review_request(
    *, decision_id: int, reason: str, actor: Any = "customer"
) -> DecisionReviewRequest:
    """Record a customer's request for a human review of an automated decision (one open
    request per decision: asking again returns the open one)."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("a reason is required")
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision_id)
        open_request = decision.review_requests.filter(
            status=DecisionReviewRequest.Status.OPEN
        ).first()
        if open_request is not None:
            return open_request
        request = DecisionReviewRequest.objects.create(decision=decision, reason=reason)
        audit_record(
            actor=actor,
            obj=decision,
            action="decision_review_request",
            from_state=decision.outcome,
            to_state="review_requested",
            reason=reason,
        )
    return request
