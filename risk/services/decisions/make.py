"""Making a decision: ``decision_make`` gathers what the facts do not carry (bureau report —
asked on the consent the facts carry and logged as a 贷前审批 query —, three-factor
verification, phone status, vehicle valuation, blacklist, anti-fraud checks, the strategy and
the debt-to-income caps in force), scores with the champion (and, in the shadow, the challengers), runs the
pure ``decision_evaluate`` and stores the Decision with everything it read, so it can be
replayed."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.policy import policy_values
from risk import adapters
from risk.facts import Facts, dec, scoring_features, section
from risk.models import BlacklistEntry, Decision, RuleSet, ScorecardVersion
from risk.services.bureau import PRE_LOAN, bureau_consent_of, bureau_query
from risk.services.decisions.evaluate import Evaluation, decision_evaluate, jsonable
from risk.services.fraud import fraud_checks_run
from risk.services.preapproval import preapproval_recheck
from risk.services.rulesets import rule_set_default_ensure, rules_of
from risk.services.scorecards import (
    compiled_for,
    score_records_store,
    scorecard_for,
    versions_for_scoring,
)
from risk.services.strategy import strategy_snapshot

ENGINE_ACTOR = "risk-engine"
DTI_TIERS = ("A", "B", "C", "D")


class DecisionError(ValueError):
    pass


def _normalise(facts: dict) -> dict:
    if not isinstance(facts, dict):
        raise DecisionError("facts must be a dict")
    return jsonable(facts)


def _external_inputs(application_ref: str, facts: dict) -> dict:
    applicant = section(facts, "applicant")
    deal = section(facts, "deal")
    vehicle = dict(section(deal, "vehicle"))
    vehicle.setdefault("kind", deal.get("product_line"))
    id_hash = applicant.get("id_hash") or ""
    phone_hash = applicant.get("phone_hash") or ""
    return jsonable(
        {
            "bureau": bureau_query(
                id_hash=id_hash,
                purpose=PRE_LOAN,
                subject_ref=application_ref,
                consent=bureau_consent_of(facts),
                requested_by=ENGINE_ACTOR,
                id_number_encrypted=applicant.get("id_number_encrypted", ""),
            ),
            "verification": adapters.verification_adapter().three_factor(
                id_hash=id_hash, phone_hash=phone_hash
            ),
            "phone": adapters.phone_adapter().status(phone_hash=phone_hash) if phone_hash else {},
            "valuation": adapters.valuation_adapter().value(
                vehicle=vehicle, price=dec(deal.get("price"))
            ),
            "income": _income_verification(facts, id_hash),
        }
    )


def _income_verification(facts: dict, id_hash: str) -> dict:
    """Asked only of the sources the customer authorised, one consent each (PIPL); nothing is
    asked without one, or without a declared income to check."""
    consents = section(facts, "consents")
    sources = [source for source in adapters.INCOME_SOURCES if source in consents]
    declared = dec(section(facts, "applicant").get("income_monthly"))
    if not sources or not id_hash or not declared:
        return {}
    return adapters.income_adapter().verify(
        id_hash=id_hash, sources=sources, declared_monthly_income=declared
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


def _inputs_gather(
    *, application_ref: str, facts: dict, external: dict, rules: list[dict], product_line: str
) -> dict:
    """Everything the evaluation reads besides the facts, as stored with the decision."""
    now = timezone.now()
    value_date = business_date_current()
    caps = policy_values([f"risk.dti_cap.{tier}" for tier in DTI_TIERS], on=value_date)
    inputs = {
        **external,
        "blacklist": _blacklist_hits(facts),
        "strategy": strategy_snapshot(product_line),
        # the caps in force today, stored so a replay next year applies today's
        "dti_caps": {tier: str(caps[f"risk.dti_cap.{tier}"]) for tier in DTI_TIERS},
        "value_date": value_date.isoformat(),
        "decided_at": now.isoformat(),
    }
    preapproval = section(facts, "preapproval")
    if preapproval:
        # re-decided on today's facts and policy, stored so a replay reads the same answer
        inputs["preapproval"] = jsonable(
            preapproval_recheck(preapproval=preapproval, deal=section(facts, "deal"), on=value_date)
        )
    inputs["fraud"] = jsonable(
        fraud_checks_run(application_ref=application_ref, facts=facts, rules=rules, now=now)
    )
    return inputs


def _evaluate_and_score(
    *, application_ref: str, facts: dict, inputs: dict, rules: list[dict]
) -> tuple[Evaluation, ScorecardVersion | None]:
    """Evaluate with the champion scorecard; score the challengers in the shadow (their scores
    go into ``inputs``); store every score record. Returns the evaluation and the champion."""
    deal = section(facts, "deal")
    product_line = deal.get("product_line") or ""
    scorecard = scorecard_for(
        product_line=product_line, contract_type=deal.get("contract_type") or ""
    )
    champion, challengers = versions_for_scoring(scorecard, application_ref)
    compiled = compiled_for(champion) if champion else None
    ev = decision_evaluate(facts=facts, inputs=inputs, rules=rules, scorecard=compiled)
    scored = []
    if champion is not None:
        scored.append((champion, "champion", compiled.score(scoring_features(facts, inputs))))
    shadow = {}
    for v in challengers:
        result = compiled_for(v).score(scoring_features(facts, inputs))
        scored.append((v, "challenger", result))
        shadow[str(v.pk)] = result.score
    if shadow:
        inputs["challenger_scores"] = shadow
    score_records_store(application_ref=application_ref, product_line=product_line, scored=scored)
    return ev, champion


def _decision_store(
    *,
    application_ref: str,
    idempotency_key: str | None,
    rule_set: RuleSet,
    champion: ScorecardVersion | None,
    facts: dict,
    inputs: dict,
    ev: Evaluation,
) -> Decision:
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
        reasons=jsonable(ev.reasons),
        conditions=ev.conditions,
        offer=jsonable(ev.offer),
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
    return decision


def decision_make(
    *, application_ref: str, facts: Facts, idempotency_key: str | None = None
) -> Decision:
    """Decide an application from its facts (schema: risk.facts.Facts). Idempotent per
    (application_ref, rule-set version) and per ``idempotency_key``: a repeated call returns
    the stored decision and changes nothing. Raises BureauConsentMissing (nothing queried,
    nothing stored) when the facts carry no bureau consent."""
    if not application_ref:
        raise DecisionError("application_ref is required")
    facts = _normalise(facts)
    rule_set = rule_set_default_ensure()
    existing = _existing(application_ref, rule_set, idempotency_key)
    if existing is not None:
        return existing
    external = _external_inputs(
        application_ref, facts
    )  # outside the transaction: no lock held during calls
    rules = rules_of(rule_set)
    try:
        with transaction.atomic():
            _advisory_lock(application_ref)
            existing = _existing(application_ref, rule_set, idempotency_key)
            if existing is not None:
                return existing
            inputs = _inputs_gather(
                application_ref=application_ref,
                facts=facts,
                external=external,
                rules=rules,
                product_line=section(facts, "deal").get("product_line") or "",
            )
            ev, champion = _evaluate_and_score(
                application_ref=application_ref, facts=facts, inputs=inputs, rules=rules
            )
            decision = _decision_store(
                application_ref=application_ref,
                idempotency_key=idempotency_key,
                rule_set=rule_set,
                champion=champion,
                facts=facts,
                inputs=inputs,
                ev=ev,
            )
    except IntegrityError:
        # A concurrent caller with the same idempotency key won the race: return its decision.
        existing = _existing(application_ref, rule_set, idempotency_key)
        if existing is None:
            raise
        return existing
    return decision
