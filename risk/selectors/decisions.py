"""Decisions as plain values for other apps' pages: tiers for a queue, the details of one."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext

from risk.facts import (
    debt_to_income_ratio,
    dec,
    income_for_decision,
    income_verified_below,
    section,
)
from risk.models import Decision, FraudHit
from risk.selectors.findings import decision_findings


def decision_reasons_display(decision) -> list[dict]:
    """A decision's reasons for people: code, kind and the customer-facing explanation in the
    active language (explanations are stored in Chinese, the msgid; English comes from the
    catalog)."""
    return [
        {
            "code": r["code"],
            "kind": r["kind"],
            "explanation": gettext(r["explanation"]),
            "evidence": r.get("evidence") or "",
        }
        for r in decision.reasons
    ]


def _debt_to_income(decision) -> Decimal | None:
    """The decision's 负债收入比 as the engine saw it: the bureau's monthly debt payments plus
    the requested deal's instalment (at the tier's rate when the decision priced it, else the
    quoted one), over the applicant's income."""
    inputs = decision.inputs or {}
    if not (inputs.get("bureau") or {}).get("found"):
        return None
    requested = next(
        (
            r["evidence"]["requested_instalment"]
            for r in decision.reasons
            if isinstance(r.get("evidence"), dict) and r["evidence"].get("requested_instalment")
        ),
        None,
    )
    if requested is None and decision.outcome == Decision.Outcome.APPROVE:
        requested = (decision.offer or {}).get("instalment")
    if requested is None:
        requested = section(decision.facts, "deal").get("instalment")
    return debt_to_income_ratio(
        income=income_for_decision(decision.facts, inputs),
        other_debt=dec(inputs["bureau"].get("monthly_debt_payments"), Decimal(0)),
        instalment=dec(requested),
    )


def decision_tiers(*, application_refs: list[str]) -> dict[str, str]:
    """The tier of the latest decision per application reference."""
    if not application_refs:
        return {}
    tiers: dict[str, str] = {}
    for ref, tier in (
        Decision.objects.filter(application_ref__in=application_refs)
        .order_by("application_ref", "-created_at", "-id")
        .values_list("application_ref", "tier")
    ):
        tiers.setdefault(ref, tier or "")
    return tiers


def decision_details(*, application_ref: str, decision_id: int | None = None) -> dict | None:
    """What risk decided, as plain values for other apps' pages: outcome, score, tier, reasons
    (rule hits with reason codes and evidence), conditions, offer, the external answers (bureau,
    verification, phone, valuation) and the anti-fraud hits with their evidence. None when risk
    has no decision for the application."""
    qs = Decision.objects.filter(application_ref=application_ref)
    decision = qs.filter(pk=decision_id).first() if decision_id else None
    decision = decision or qs.order_by("-created_at", "-id").first()
    if decision is None:
        return None
    inputs = decision.inputs or {}
    details = {
        "id": decision.pk,
        "outcome": decision.outcome,
        "outcome_label": decision.get_outcome_display(),
        "score": decision.score,
        "tier": decision.tier,
        "reasons": decision_reasons_display(decision),
        "conditions": decision.conditions or [],
        "offer": decision.offer or {},
        "annual_rate": decision.annual_rate,
        "suggested_limit": decision.suggested_limit,
        "debt_to_income": _debt_to_income(decision),
        # the lower income the sources verified, when the decision (and its 负债收入比) was
        # made on it rather than on the declared one; None otherwise
        "verified_income": (income_verified_below(inputs) or {}).get("monthly_income"),
        "created_at": decision.created_at,
        "bureau": inputs.get("bureau") or {},
        "verification": inputs.get("verification") or {},
        "phone": inputs.get("phone") or {},
        "valuation": inputs.get("valuation") or {},
        "income": inputs.get("income") or {},
        "blacklist": inputs.get("blacklist") or [],
        "fraud_hits": [
            {"check_code": h.check_code, "evidence": h.evidence, "created_at": h.created_at}
            for h in FraudHit.objects.filter(application_ref=application_ref).order_by("id")
        ],
    }
    details["findings"] = decision_findings(details)
    return details
