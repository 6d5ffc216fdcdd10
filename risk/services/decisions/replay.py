"""Replaying a stored decision: recompute it from its stored facts, inputs, rule-set version and
scorecard version, and report any difference."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from risk.models import Decision, ScorecardVersion
from risk.services.decisions.evaluate import decision_evaluate
from risk.services.rulesets import rules_of
from risk.services.scorecards import compiled_for


@dataclass
class ReplayResult:
    decision: Decision
    matches: bool
    stored: dict
    recomputed: dict
    differences: dict


def _stored(decision: Decision) -> dict:
    return {
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
    stored = _stored(decision)
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
