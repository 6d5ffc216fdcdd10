"""Strategy thresholds per product line, and a preview of what a change would move."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from risk.models import ProductLine, ScoreRecord, Strategy

DEFAULT_STRATEGY = {
    "approve_above": 530,
    "decline_below": 500,
    "tier_cutoffs": {"A": 580, "B": 550, "C": 520},
}
OUTCOMES = ("approve", "refer", "decline")


class StrategyError(ValueError):
    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def strategy_snapshot(product_line: str) -> dict:
    s = Strategy.objects.filter(product_line=product_line).first()
    if s is None:
        return {**DEFAULT_STRATEGY, "tier_cutoffs": dict(DEFAULT_STRATEGY["tier_cutoffs"])}
    return {
        "approve_above": s.approve_above,
        "decline_below": s.decline_below,
        "tier_cutoffs": dict(s.tier_cutoffs),
    }


def tier_for(score: int | None, cutoffs: dict) -> str:
    if score is None:
        return ""
    for tier in ("A", "B", "C"):
        cut = cutoffs.get(tier)
        if cut is not None and score >= int(cut):
            return tier
    return "D"


def score_outcome(score: int, approve_above: int, decline_below: int) -> str:
    if score < decline_below:
        return "decline"
    if score >= approve_above:
        return "approve"
    return "refer"


def _validate(approve_above: int, decline_below: int, tier_cutoffs: dict) -> None:
    from django.utils.translation import gettext_lazy as _

    if decline_below > approve_above:
        raise StrategyError("decline_below", _("拒绝分数线不能高于自动通过分数线"))
    cuts = [tier_cutoffs.get(t) for t in ("A", "B", "C")]
    if any(c is None for c in cuts) or not cuts[0] >= cuts[1] >= cuts[2]:
        raise StrategyError("tier_cutoffs", _("分层分数线须满足 A ≥ B ≥ C"))


def strategy_validate(
    *, product_line: str, approve_above: int, decline_below: int, tier_cutoffs: dict
) -> None:
    """Raise StrategyError (naming the field) for thresholds that cannot be put in force."""
    if product_line not in ProductLine.values:
        raise StrategyError("product_line", f"unknown product line {product_line!r}")
    _validate(int(approve_above), int(decline_below), {k: int(v) for k, v in tier_cutoffs.items()})


def strategy_update(
    *, product_line: str, approve_above: int, decline_below: int, tier_cutoffs: dict, actor
) -> Strategy:
    """Put new thresholds in force (audited). Four eyes: pages go through
    risk.approvals.strategy_change_submit; this acts alone only while four_eyes.strategy_change
    is off."""
    four_eyes_gate("strategy_change")
    tier_cutoffs = {k: int(v) for k, v in tier_cutoffs.items()}
    strategy_validate(
        product_line=product_line,
        approve_above=approve_above,
        decline_below=decline_below,
        tier_cutoffs=tier_cutoffs,
    )
    with transaction.atomic():
        current = Strategy.objects.select_for_update().filter(product_line=product_line).first()
        before = strategy_snapshot(product_line)
        if current is None:
            current = Strategy(product_line=product_line)
        current.approve_above = int(approve_above)
        current.decline_below = int(decline_below)
        current.tier_cutoffs = tier_cutoffs
        current.save()
        audit_record(
            actor=actor,
            obj=current,
            action="strategy_update",
            from_state=f"{before['decline_below']}/{before['approve_above']}",
            to_state=f"{current.decline_below}/{current.approve_above}",
            data={"before": before, "after": strategy_snapshot(product_line)},
        )
    return current


def strategy_preview(
    *, product_line: str, approve_above: int, decline_below: int, last_n: int = 1000
) -> dict:
    """How the last ``last_n`` champion scores of the product line would move between outcomes
    (by score alone) if the thresholds changed: {"n", "moved", "matrix": {old: {new: count}}}."""
    current = strategy_snapshot(product_line)
    scores = list(
        ScoreRecord.objects.filter(product_line=product_line, role="champion")
        .order_by("-scored_at", "-id")
        .values_list("score", flat=True)[:last_n]
    )
    moves = Counter(
        (
            score_outcome(s, current["approve_above"], current["decline_below"]),
            score_outcome(s, int(approve_above), int(decline_below)),
        )
        for s in scores
    )
    matrix = {old: {new: moves.get((old, new), 0) for new in OUTCOMES} for old in OUTCOMES}
    return {
        "n": len(scores),
        "moved": sum(c for (old, new), c in moves.items() if old != new),
        "matrix": matrix,
        "before": {o: sum(matrix[o].values()) for o in OUTCOMES},
        "after": {o: sum(matrix[x][o] for x in OUTCOMES) for o in OUTCOMES},
    }
