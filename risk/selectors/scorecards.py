"""Read queries of risk, for views, other apps and the nightly batch."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from risk.models import Decision, FraudHit, Scorecard, ScorecardVersion, ScoreRecord
from risk.scorecard.metrics import psi, psi_alert


def fraud_hits_by_dealer(*, since: dt.datetime) -> dict[int, int]:
    """Anti-fraud hits per dealer id since ``since`` (for dealer grading)."""
    rows = (
        FraudHit.objects.filter(created_at__gte=since, dealer_id__isnull=False)
        .values("dealer_id")
        .annotate(n=Count("id"))
    )
    return {r["dealer_id"]: r["n"] for r in rows}


def scorecards_overview() -> list[Scorecard]:
    return list(
        Scorecard.objects.prefetch_related("versions").order_by("product_line", "contract_type")
    )


def scorecard_monitoring(version: ScorecardVersion, *, last_n: int = 5000) -> dict:
    """PSI of the score and of each variable between the training sample (stored in the
    artefact) and the version's most recent ``last_n`` score records, with a characteristic
    analysis (score shift per variable = sum over bins of (actual - expected share) x points)."""
    artefact = version.artefact
    records = list(
        ScoreRecord.objects.filter(version=version)
        .order_by("-scored_at", "-id")
        .values_list("score", "bins")[:last_n]
    )
    n = len(records)
    dist = artefact.get("score_distribution") or {}
    edges = dist.get("edges") or []
    expected = dist.get("train_shares") or []
    result = {"n": n, "score": None, "variables": []}
    if not n or not expected:
        return result
    from bisect import bisect_right

    actual = [0] * (len(edges) + 1)
    for score, _bins in records:
        actual[bisect_right(edges, score)] += 1
    bounds = [None, *edges, None]
    score_psi = psi(expected, actual)
    result["score"] = {
        "psi": score_psi,
        "alert": psi_alert(score_psi),
        "bands": [
            {
                "label": (
                    f"< {bounds[i + 1]:g}"
                    if bounds[i] is None
                    else f">= {bounds[i]:g}"
                    if bounds[i + 1] is None
                    else f"{bounds[i]:g}–{bounds[i + 1]:g}"
                ),
                "expected": expected[i],
                "actual": actual[i] / n,
            }
            for i in range(len(actual))
        ],
    }
    for var in artefact["variables"]:
        counts = [0] * len(var["bins"])
        for _score, bins in records:
            i = bins.get(var["name"])
            if i is not None and 0 <= i < len(counts):
                counts[i] += 1
        exp = [b["share"] for b in var["bins"]]
        value = psi(exp, counts)
        rows = []
        shift = 0.0
        for b, e, c in zip(var["bins"], exp, counts, strict=True):
            a = c / n
            contribution = (a - e) * b["points"]
            shift += contribution
            rows.append(
                {
                    "label": b["label"],
                    "expected": e,
                    "actual": a,
                    "points": b["points"],
                    "contribution": contribution,
                }
            )
        result["variables"].append(
            {
                "name": var["name"],
                "psi": value,
                "alert": psi_alert(value),
                "score_shift": shift,
                "bins": rows,
            }
        )
    return result


def decision_reasons_display(decision) -> list[dict]:
    """A decision's reasons for people: code, kind and the customer-facing explanation in the
    active language (explanations are stored in Chinese, the msgid; English comes from the
    catalog)."""
    from django.utils.translation import gettext

    return [
        {
            "code": r["code"],
            "kind": r["kind"],
            "explanation": gettext(r["explanation"]),
            "evidence": r.get("evidence") or "",
        }
        for r in decision.reasons
    ]


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
    return {
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
        "created_at": decision.created_at,
        "bureau": inputs.get("bureau") or {},
        "verification": inputs.get("verification") or {},
        "phone": inputs.get("phone") or {},
        "valuation": inputs.get("valuation") or {},
        "blacklist": inputs.get("blacklist") or [],
        "fraud_hits": [
            {"check_code": h.check_code, "evidence": h.evidence, "created_at": h.created_at}
            for h in FraudHit.objects.filter(application_ref=application_ref).order_by("id")
        ],
    }
