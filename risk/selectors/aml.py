"""Reads of anti-money laundering in risk: whether screening blocks funding (for servicing),
the screening hits of the compliance queue, a hit explained, a customer's rating in force."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from risk.models import CustomerRiskRating, ScreeningHit
from risk.services.customer_rating import REASON_LABELS

# What each part of a match score means, for the compliance officer.
MATCH_LABELS = {
    "same_id": _("身份证号一致（哈希比对）"),
    "different_id": _("身份证号不一致"),
    "same_hanzi": _("中文姓名一致"),
    "hanzi_similar": _("中文姓名相近"),
    "same_pinyin": _("拼音一致"),
    "pinyin_variant": _("拼音为常见拼写变体（平翘舌、前后鼻音、n/l）"),
    "pinyin_similar": _("拼音相似"),
    "same_dob": _("出生日期一致"),
    "different_dob": _("出生日期不一致"),
    "": _("姓名不可比"),
}
BLOCKING = (ScreeningHit.Status.OPEN, ScreeningHit.Status.CONFIRMED)


def screening_block(*, subject_ref: str) -> ScreeningHit | None:
    """The hit that stops this application's funding: open (awaiting compliance) or confirmed."""
    return (
        ScreeningHit.objects.filter(subject_ref=subject_ref, status__in=BLOCKING)
        .select_related("entry")
        .order_by("id")
        .first()
    )


def screening_hits(*, status: str | None = None) -> QuerySet[ScreeningHit]:
    qs = ScreeningHit.objects.select_related("entry", "decided_by")
    return qs.filter(status=status) if status else qs


def screening_hit_explained(hit: ScreeningHit) -> list[dict]:
    """Each part of the score: what was compared, what it found, what it added."""
    return [
        {
            "label": MATCH_LABELS.get(p.get("reason", ""), p.get("reason", "")),
            "subject": p.get("subject", ""),
            "entry": p.get("entry", ""),
            "effect": p.get("effect", 0),
        }
        for p in hit.explanation
    ]


def customer_rating_current(*, subject_ref: str) -> dict | None:
    rating = CustomerRiskRating.objects.filter(subject_ref=subject_ref).order_by("-id").first()
    if rating is None:
        return None
    return {
        "level": rating.get_level_display(),
        "level_code": rating.level,
        "points": rating.points,
        "reasons": [REASON_LABELS.get(r["code"], r["code"]) for r in rating.reasons],
        "rated_at": rating.rated_at,
    }
