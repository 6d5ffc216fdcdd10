"""Customer due diligence: the money-laundering risk rating (客户洗钱风险等级) of a customer at
onboarding, from occupation, region, product, channel and PEP status, with its reasons.

The points below are the institution's documented scheme (its 客户洗钱风险评估指标体系), kept
here as one table; a PEP or a confirmed list hit makes the rating high whatever the points. A
rating is re-rated whenever one of its inputs changes (a resubmitted application, a hit opened,
confirmed or cleared): a new row, the latest row being the one in force.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_record
from risk.models import CustomerRiskRating, RiskLevel, ScreeningHit, WatchListType

OCCUPATION_POINTS = {"business_owner": 2, "self_employed": 2, "other": 1}
# Border provinces and regions on the typology lists for cross-border cash and smuggling.
HIGH_RISK_REGIONS = ("云南", "广西", "新疆", "西藏")
PRODUCT_POINTS = {"commercial": 1, "used": 1}
CHANNEL_POINTS = {"direct": 1}  # applied online without meeting a dealer's staff
HIGH_AT, MEDIUM_AT = 4, 2

REASON_LABELS = {
    "occupation": _("职业或经营类型现金密集"),
    "region": _("居住地为边境高风险地区"),
    "product": _("产品类型（二手车/商用车）"),
    "channel": _("非面对面渠道（直销线上申请）"),
    "pep": _("政治公众人物（名单命中待核查或已确认）"),
    "listed": _("名单命中已确认"),
}


def _pep_and_listed(subject_ref: str) -> tuple[bool, bool]:
    hits = ScreeningHit.objects.filter(subject_ref=subject_ref).exclude(
        status=ScreeningHit.Status.CLEARED
    )
    pep = hits.filter(entry__list_type=WatchListType.PEP).exists()
    listed = hits.filter(status=ScreeningHit.Status.CONFIRMED).exists()
    return pep, listed


def rating_of(inputs: dict) -> tuple[str, int, list[dict]]:
    """The level, the points and the reasons for these inputs."""
    reasons = []
    for code, points in (
        ("occupation", OCCUPATION_POINTS.get(inputs.get("occupation") or "", 0)),
        ("region", 2 if any(r in (inputs.get("region") or "") for r in HIGH_RISK_REGIONS) else 0),
        ("product", PRODUCT_POINTS.get(inputs.get("product_line") or "", 0)),
        ("channel", CHANNEL_POINTS.get(inputs.get("channel") or "", 0)),
    ):
        if points:
            reasons.append({"code": code, "points": points})
    total = sum(r["points"] for r in reasons)
    for flag in ("pep", "listed"):
        if inputs.get(flag):
            reasons.append({"code": flag, "points": 0})
    if inputs.get("pep") or inputs.get("listed") or total >= HIGH_AT:
        level = RiskLevel.HIGH
    else:
        level = RiskLevel.MEDIUM if total >= MEDIUM_AT else RiskLevel.LOW
    return level, total, reasons


def customer_risk_rate(
    *, subject_ref: str, id_hash: str = "", facts: dict | None = None, actor: Any
) -> CustomerRiskRating:
    """Rate (or re-rate) a customer. `facts` are occupation, region, product_line and channel;
    without them the last rating's are used (a re-rating after a hit was decided). A rating
    whose inputs did not change is returned as it is."""
    last = CustomerRiskRating.objects.filter(subject_ref=subject_ref).order_by("-id").first()
    inputs = dict(facts if facts is not None else (last.inputs if last else {}))
    inputs["pep"], inputs["listed"] = _pep_and_listed(subject_ref)
    if last is not None and last.inputs == inputs:
        return last
    level, points, reasons = rating_of(inputs)
    with transaction.atomic():
        rating = CustomerRiskRating.objects.create(
            subject_ref=subject_ref,
            id_hash=id_hash or (last.id_hash if last else ""),
            level=level,
            points=points,
            reasons=reasons,
            inputs=inputs,
            rated_by=str(actor),
        )
        audit_record(
            actor=actor,
            obj=rating,
            action="aml_rate",
            from_state=last.level if last else "",
            to_state=level,
            data={"points": points, "reasons": [r["code"] for r in reasons]},
        )
    return rating
