"""Anti-fraud across the book, from risk's own store of identifiers seen (keyed hashes only).

Each check is a small named function of the application's identifiers and the check's
parameters (from the rule set), returning its evidence on a hit and None otherwise; ``CHECKS``
lists them in the order their hits are reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from autofin.bulk import bulk_insert_new
from risk.facts import section
from risk.models import FraudHit, SeenFact


@dataclass(frozen=True)
class _Seen:
    """What this application brings to the store of facts seen."""

    application_ref: str
    now: dt.datetime
    dealer_id: int | None
    salesperson_id: int | None
    id_hash: str
    phone: str
    account: str
    vin: str
    documents: list[str]
    phashes: list[str]

    @classmethod
    def of(cls, application_ref: str, facts: dict, now: dt.datetime) -> _Seen:
        applicant = section(facts, "applicant")
        return cls(
            application_ref=application_ref,
            now=now,
            dealer_id=section(facts, "dealer").get("dealer_id"),
            salesperson_id=facts.get("salesperson_id"),
            id_hash=applicant.get("id_hash") or "",
            phone=applicant.get("phone_hash") or "",
            account=applicant.get("bank_account_hash") or "",
            vin=section(facts, "deal").get("vin_hash") or "",
            documents=[d for d in (facts.get("documents") or []) if d],
            phashes=[h for h in (facts.get("document_phashes") or []) if h],
        )

    def identifiers(self) -> list[tuple[str, str]]:
        """(kind, value hash) of every identifier the application carries."""
        pairs = [
            ("id_number", self.id_hash),
            ("phone", self.phone),
            ("bank_account", self.account),
            ("vin", self.vin),
            *[("document", d) for d in self.documents],
            *[("document_phash", h) for h in self.phashes],
        ]
        return [(kind, value) for kind, value in pairs if value]


def _params(rules: list[dict], code: str) -> dict | None:
    for r in rules:
        if r["code"] == code and r.get("enabled", True):
            return r.get("params") or {}
    return None


def _others(kind: str, value: str, application_ref: str):
    return SeenFact.objects.filter(kind=kind, value_hash=value).exclude(
        application_ref=application_ref
    )


def id_multi_dealer(seen: _Seen, p: dict) -> dict | None:
    """The applicant's ID or phone came through another dealer within ``days``."""
    if seen.dealer_id is None:
        return None
    q = Q()
    if seen.id_hash:
        q |= Q(kind="id_number", value_hash=seen.id_hash)
    if seen.phone:
        q |= Q(kind="phone", value_hash=seen.phone)
    if not q:
        return None
    since = seen.now - dt.timedelta(days=int(p.get("days", 30)))
    rows = list(
        SeenFact.objects.filter(q, seen_at__gte=since, dealer_id__isnull=False)
        .exclude(application_ref=seen.application_ref)
        .exclude(dealer_id=seen.dealer_id)
        .values_list("kind", "dealer_id", "application_ref")
        .distinct()
    )
    if not rows:
        return None
    return {
        "days": int(p.get("days", 30)),
        "kinds": sorted({k for k, _d, _a in rows}),
        "other_dealers": sorted({d for _k, d, _a in rows}),
        "applications": sorted({a for _k, _d, a in rows}),
    }


def _shared_by_applicants(seen: _Seen, kind: str, value: str, p: dict) -> dict | None:
    """At least ``min_applicants`` different applicants (this one included) gave ``value``."""
    if not value:
        return None
    others = _others(kind, value, seen.application_ref).exclude(id_hash__in=["", seen.id_hash])
    applicants = len(set(others.values_list("id_hash", flat=True))) + 1
    if applicants < int(p.get("min_applicants", 2)):
        return None
    apps = sorted(set(others.values_list("application_ref", flat=True)))
    return {"applicants": applicants, "applications": apps}


def shared_phone(seen: _Seen, p: dict) -> dict | None:
    return _shared_by_applicants(seen, "phone", seen.phone, p)


def shared_bank_account(seen: _Seen, p: dict) -> dict | None:
    return _shared_by_applicants(seen, "bank_account", seen.account, p)


def vin_reused(seen: _Seen, p: dict) -> dict | None:
    """The same car (VIN) was financed in another application."""
    if not seen.vin:
        return None
    apps = sorted(
        set(
            _others("vin", seen.vin, seen.application_ref).values_list("application_ref", flat=True)
        )
    )
    return {"applications": apps} if apps else None


def sales_velocity(seen: _Seen, p: dict) -> dict | None:
    """The salesperson brought more than ``max_per_day`` applications today."""
    if seen.salesperson_id is None:
        return None
    day_start = timezone.localtime(seen.now).replace(hour=0, minute=0, second=0, microsecond=0)
    count = (
        SeenFact.objects.filter(
            salesperson_id=seen.salesperson_id,
            seen_at__gte=day_start,
            seen_at__lt=day_start + dt.timedelta(days=1),
        )
        .exclude(application_ref=seen.application_ref)
        .values("application_ref")
        .distinct()
        .count()
        + 1
    )
    limit = int(p.get("max_per_day", 10))
    if count <= limit:
        return None
    return {
        "salesperson_id": seen.salesperson_id,
        "applications_today": count,
        "max_per_day": limit,
    }


def document_reused(seen: _Seen, p: dict) -> dict | None:
    """A document file of this application came with another applicant's application."""
    if not seen.documents:
        return None
    rows = list(
        SeenFact.objects.filter(kind="document", value_hash__in=seen.documents)
        .exclude(application_ref=seen.application_ref)
        .exclude(id_hash=seen.id_hash)
        .values_list("value_hash", "application_ref")
        .distinct()
    )
    if not rows:
        return None
    return {
        "documents": sorted({d[:12] for d, _a in rows}),
        "applications": sorted({a for _d, a in rows}),
    }


def document_near_duplicate(seen: _Seen, p: dict) -> dict | None:
    """A document image of this application is the same picture (perceptual hash within
    ``max_distance`` bits, out of 64) as one that came with another applicant's application:
    re-encoded, scaled or cropped, where the file's sha256 no longer matches."""
    if not seen.phashes:
        return None
    max_distance = int(p.get("max_distance", 8))
    # Hamming distance in the database: the hashes as 64-bit strings, XOR, count the ones.
    rows = list(
        SeenFact.objects.raw(
            """
            SELECT DISTINCT ON (s.application_ref, s.value_hash) s.id, s.application_ref,
                   s.value_hash,
                   bit_count(('x' || s.value_hash)::bit(64) # ('x' || mine.h)::bit(64)) AS distance
              FROM risk_seenfact s, unnest(%s::text[]) AS mine(h)
             WHERE s.kind = 'document_phash' AND s.application_ref <> %s AND s.id_hash <> %s
               AND bit_count(('x' || s.value_hash)::bit(64) # ('x' || mine.h)::bit(64)) <= %s
             ORDER BY s.application_ref, s.value_hash, distance
            """,
            [seen.phashes, seen.application_ref, seen.id_hash, max_distance],
        )
    )
    if not rows:
        return None
    return {
        "applications": sorted({r.application_ref for r in rows}),
        "distance": min(r.distance for r in rows),
    }


CHECKS: list[tuple[str, Callable[[_Seen, dict], dict | None]]] = [
    ("FRAUD_ID_MULTI_DEALER", id_multi_dealer),
    ("FRAUD_SHARED_PHONE", shared_phone),
    ("FRAUD_SHARED_BANK_ACCOUNT", shared_bank_account),
    ("FRAUD_VIN_REUSED", vin_reused),
    ("FRAUD_SALES_VELOCITY", sales_velocity),
    ("FRAUD_DOCUMENT_REUSED", document_reused),
    ("FRAUD_DOCUMENT_NEAR_DUPLICATE", document_near_duplicate),
]


def _seen_remember(seen: _Seen) -> None:
    rows = [
        SeenFact(
            kind=kind,
            value_hash=value,
            id_hash=seen.id_hash,
            application_ref=seen.application_ref,
            dealer_id=seen.dealer_id,
            salesperson_id=seen.salesperson_id,
            seen_at=seen.now,
        )
        for kind, value in seen.identifiers()
    ]
    bulk_insert_new(rows, unique_fields=["kind", "value_hash", "application_ref"])


def fraud_checks_run(
    *, application_ref: str, facts: dict, rules: list[dict], now: dt.datetime
) -> dict[str, dict]:
    """Run the enabled anti-fraud checks of the rule set against what was seen before this
    application, then remember this application's identifiers. Hits are stored as
    ``FraudHit`` rows (once per application and check) and returned as {check: evidence}."""
    seen = _Seen.of(application_ref, facts, now)
    hits: dict[str, dict] = {}
    for code, check in CHECKS:
        params = _params(rules, code)
        if params is None:
            continue
        evidence = check(seen, params)
        if evidence is not None:
            hits[code] = evidence
    _seen_remember(seen)
    for code, evidence in hits.items():
        FraudHit.objects.get_or_create(
            application_ref=application_ref,
            check_code=code,
            defaults={"dealer_id": seen.dealer_id, "evidence": evidence},
        )
    return hits
