"""Scorecard versions: training and storing, champion / challenger, scoring applications."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.db import transaction

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from risk.models import ProductLine, Scorecard, ScorecardPlot, ScorecardVersion, ScoreRecord
from risk.scorecard import CompiledScorecard, TrainResult, train_scorecard
from risk.scorecard.train import TrainOptions

_COMPILED: dict[int, CompiledScorecard] = {}

PRODUCT_LINE_NAMES = {
    "new": "新车申请评分卡",
    "used": "二手车申请评分卡",
    "nev": "新能源车申请评分卡",
    "commercial": "商用车申请评分卡",
}


class ScorecardServiceError(ValueError):
    pass


def scorecard_get_or_create(
    *, product_line: str, contract_type: str = "", name: str | None = None
) -> Scorecard:
    if product_line not in ProductLine.values:
        raise ScorecardServiceError(f"unknown product line {product_line!r}")
    scorecard, _created = Scorecard.objects.get_or_create(
        product_line=product_line,
        contract_type=contract_type or "",
        defaults={"name": name or PRODUCT_LINE_NAMES[product_line]},
    )
    return scorecard


def scorecard_version_train(
    *,
    frame: pd.DataFrame,
    target: str,
    product_line: str,
    bad_value: str | None = None,
    contract_type: str = "",
    name: str | None = None,
    options: TrainOptions | None = None,
    source: str = "",
    actor=None,
    artefact_path: str | Path | None = None,
) -> tuple[ScorecardVersion, TrainResult]:
    """Train on ``frame`` and store a new version (a candidate; the first version of a
    scorecard becomes its champion). Training runs before the transaction opens."""
    result = train_scorecard(frame, target=target, bad_value=bad_value, options=options)
    with transaction.atomic():
        scorecard = scorecard_get_or_create(
            product_line=product_line, contract_type=contract_type, name=name
        )
        scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        last = scorecard.versions.order_by("-version").values_list("version", flat=True).first()
        first = last is None
        version = ScorecardVersion.objects.create(
            scorecard=scorecard,
            version=(last or 0) + 1,
            status=ScorecardVersion.Status.CHAMPION if first else ScorecardVersion.Status.CANDIDATE,
            artefact=result.artefact,
            report=result.report,
            test_auc=result.test_auc,
            source=source[:300],
            trained_by=getattr(actor, "username", "") or str(actor or "system"),
        )
        ScorecardPlot.objects.bulk_create(
            [ScorecardPlot(version=version, kind=k, png=v) for k, v in result.plots.items()]
        )
        audit_record(
            actor=actor,
            obj=version,
            action="scorecard_train",
            to_state=version.status,
            data={"test_auc": result.test_auc, "source": source[:300]},
        )
    if artefact_path:
        Path(artefact_path).write_text(json.dumps(result.artefact, ensure_ascii=False, indent=1))
    return version, result


def scorecard_promote(*, version_id: int, actor, reason: str = "") -> ScorecardVersion:
    """Make a version the champion of its scorecard; the previous champion retires.
    Four eyes: pages go through risk.approvals.scorecard_promote_submit; this acts alone only
    while four_eyes.scorecard_promote is off."""
    four_eyes_gate("scorecard_promote")
    with transaction.atomic():
        version = ScorecardVersion.objects.select_related("scorecard").get(pk=version_id)
        # Lock all versions of the scorecard in pk order (one promotion at a time).
        siblings = list(
            ScorecardVersion.objects.select_for_update()
            .filter(scorecard_id=version.scorecard_id)
            .order_by("pk")
        )
        version = next(v for v in siblings if v.pk == version_id)
        if version.status == ScorecardVersion.Status.CHAMPION:
            return version
        for old in siblings:
            if old.status == ScorecardVersion.Status.CHAMPION:
                old.status = ScorecardVersion.Status.RETIRED
                old.save(update_fields=["status"])
                audit_record(
                    actor=actor,
                    obj=old,
                    action="scorecard_retire",
                    from_state="champion",
                    to_state="retired",
                    reason=reason,
                )
        previous = version.status
        version.status = ScorecardVersion.Status.CHAMPION
        version.challenger_share = Decimal(0)
        version.save(update_fields=["status", "challenger_share"])
        audit_record(
            actor=actor,
            obj=version,
            action="scorecard_promote",
            from_state=previous,
            to_state="champion",
            reason=reason,
        )
    return version


def scorecard_challenger_set(*, version_id: int, share: Decimal, actor) -> ScorecardVersion:
    """Score ``share`` (0..1) of applications with this version in shadow; 0 stops it."""
    share = Decimal(str(share))
    if not Decimal(0) <= share <= Decimal(1):
        raise ScorecardServiceError("challenger share must be between 0 and 1")
    with transaction.atomic():
        version = ScorecardVersion.objects.select_for_update().get(pk=version_id)
        if version.status == ScorecardVersion.Status.CHAMPION:
            raise ScorecardServiceError("the champion cannot be its own challenger")
        previous = version.status
        version.status = (
            ScorecardVersion.Status.CHALLENGER if share > 0 else ScorecardVersion.Status.CANDIDATE
        )
        version.challenger_share = share
        version.save(update_fields=["status", "challenger_share"])
        audit_record(
            actor=actor,
            obj=version,
            action="scorecard_challenger_set",
            from_state=previous,
            to_state=version.status,
            data={"share": str(share)},
        )
    return version


def compiled_for(version: ScorecardVersion) -> CompiledScorecard:
    """Artefacts never change once stored, so the compiled form is cached per version."""
    compiled = _COMPILED.get(version.pk)
    if compiled is None:
        compiled = CompiledScorecard(version.artefact)
        _COMPILED[version.pk] = compiled
    return compiled


def traffic_bucket(application_ref: str) -> Decimal:
    """A stable number in [0, 1) per application: who goes to a challenger does not change."""
    h = int(hashlib.sha256(application_ref.encode()).hexdigest()[:8], 16)
    return Decimal(h) / Decimal(2**32)


def scorecard_for(*, product_line: str, contract_type: str = "") -> Scorecard | None:
    cards = {
        sc.contract_type: sc
        for sc in Scorecard.objects.filter(
            product_line=product_line, contract_type__in=[contract_type or "", ""]
        )
    }
    return cards.get(contract_type or "") or cards.get("")


def versions_for_scoring(
    scorecard: Scorecard | None, application_ref: str
) -> tuple[ScorecardVersion | None, list[ScorecardVersion]]:
    if scorecard is None:
        return None, []
    champion = None
    challengers = []
    bucket = traffic_bucket(application_ref)
    for v in scorecard.versions.filter(status__in=["champion", "challenger"]).order_by("pk"):
        if v.status == "champion":
            champion = v
        elif bucket < v.challenger_share:
            challengers.append(v)
    return champion, challengers


def score_records_store(
    *, application_ref: str, product_line: str, scored: list[tuple[ScorecardVersion, str, object]]
) -> None:
    ScoreRecord.objects.bulk_create(
        [
            ScoreRecord(
                version=version,
                product_line=product_line,
                application_ref=application_ref,
                role=role,
                score=result.score,
                bins=result.bins,
            )
            for version, role, result in scored
        ]
    )
