"""Scorecards for the analysts' pages: the overview, and a version's monitoring (PSI)."""

from __future__ import annotations

from risk.models import Scorecard, ScorecardVersion, ScoreRecord
from risk.scorecard.metrics import psi, psi_alert


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
