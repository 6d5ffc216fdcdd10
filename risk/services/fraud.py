"""Anti-fraud across the book, from risk's own store of identifiers seen (keyed hashes only)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from autofin.bulk import bulk_insert_new
from risk.facts import section
from risk.models import FraudHit, SeenFact


def _params(rules: list[dict], code: str) -> dict | None:
    for r in rules:
        if r["code"] == code and r.get("enabled", True):
            return r.get("params") or {}
    return None


def _others(kind: str, value: str, application_ref: str):
    return SeenFact.objects.filter(kind=kind, value_hash=value).exclude(
        application_ref=application_ref
    )


def fraud_checks_run(
    *, application_ref: str, facts: dict, rules: list[dict], now: dt.datetime
) -> dict[str, dict]:
    """Run the enabled anti-fraud checks of the rule set against what was seen before this
    application, then remember this application's identifiers. Hits are stored as
    ``FraudHit`` rows (once per application and check) and returned as {check: evidence}."""
    applicant = section(facts, "applicant")
    deal = section(facts, "deal")
    dealer = section(facts, "dealer")
    dealer_id = dealer.get("dealer_id")
    salesperson_id = facts.get("salesperson_id")
    id_hash = applicant.get("id_hash") or ""
    phone = applicant.get("phone_hash") or ""
    account = applicant.get("bank_account_hash") or ""
    vin = deal.get("vin_hash") or ""
    documents = [d for d in (facts.get("documents") or []) if d]
    hits: dict[str, dict] = {}

    p = _params(rules, "FRAUD_ID_MULTI_DEALER")
    if p is not None and dealer_id is not None:
        since = now - dt.timedelta(days=int(p.get("days", 30)))
        q = Q()
        if id_hash:
            q |= Q(kind="id_number", value_hash=id_hash)
        if phone:
            q |= Q(kind="phone", value_hash=phone)
        if q:
            seen = (
                SeenFact.objects.filter(q, seen_at__gte=since, dealer_id__isnull=False)
                .exclude(application_ref=application_ref)
                .exclude(dealer_id=dealer_id)
            )
            rows = list(seen.values_list("kind", "dealer_id", "application_ref").distinct())
            if rows:
                hits["FRAUD_ID_MULTI_DEALER"] = {
                    "days": int(p.get("days", 30)),
                    "kinds": sorted({k for k, _d, _a in rows}),
                    "other_dealers": sorted({d for _k, d, _a in rows}),
                    "applications": sorted({a for _k, _d, a in rows}),
                }

    for code, kind, value in (
        ("FRAUD_SHARED_PHONE", "phone", phone),
        ("FRAUD_SHARED_BANK_ACCOUNT", "bank_account", account),
    ):
        p = _params(rules, code)
        if p is None or not value:
            continue
        others = set(
            _others(kind, value, application_ref)
            .exclude(id_hash__in=["", id_hash])
            .values_list("id_hash", flat=True)
        )
        applicants = len(others) + 1
        if applicants >= int(p.get("min_applicants", 2)):
            apps = sorted(
                set(
                    _others(kind, value, application_ref)
                    .exclude(id_hash__in=["", id_hash])
                    .values_list("application_ref", flat=True)
                )
            )
            hits[code] = {"applicants": applicants, "applications": apps}

    p = _params(rules, "FRAUD_VIN_REUSED")
    if p is not None and vin:
        apps = sorted(
            set(_others("vin", vin, application_ref).values_list("application_ref", flat=True))
        )
        if apps:
            hits["FRAUD_VIN_REUSED"] = {"applications": apps}

    p = _params(rules, "FRAUD_SALES_VELOCITY")
    if p is not None and salesperson_id is not None:
        local = timezone.localtime(now)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        count = (
            SeenFact.objects.filter(
                salesperson_id=salesperson_id,
                seen_at__gte=day_start,
                seen_at__lt=day_start + dt.timedelta(days=1),
            )
            .exclude(application_ref=application_ref)
            .values("application_ref")
            .distinct()
            .count()
            + 1
        )
        limit = int(p.get("max_per_day", 10))
        if count > limit:
            hits["FRAUD_SALES_VELOCITY"] = {
                "salesperson_id": salesperson_id,
                "applications_today": count,
                "max_per_day": limit,
            }

    p = _params(rules, "FRAUD_DOCUMENT_REUSED")
    if p is not None and documents:
        seen = (
            SeenFact.objects.filter(kind="document", value_hash__in=documents)
            .exclude(application_ref=application_ref)
            .exclude(id_hash=id_hash)
        )
        rows = list(seen.values_list("value_hash", "application_ref").distinct())
        if rows:
            hits["FRAUD_DOCUMENT_REUSED"] = {
                "documents": sorted({d[:12] for d, _a in rows}),
                "applications": sorted({a for _d, a in rows}),
            }

    seen_rows = [
        SeenFact(
            kind=kind,
            value_hash=value,
            id_hash=id_hash,
            application_ref=application_ref,
            dealer_id=dealer_id,
            salesperson_id=salesperson_id,
            seen_at=now,
        )
        for kind, value in [
            ("id_number", id_hash),
            ("phone", phone),
            ("bank_account", account),
            ("vin", vin),
            *[("document", d) for d in documents],
        ]
        if value
    ]
    bulk_insert_new(seen_rows, unique_fields=["kind", "value_hash", "application_ref"])
    for check, evidence in hits.items():
        FraudHit.objects.get_or_create(
            application_ref=application_ref,
            check_code=check,
            defaults={"dealer_id": dealer_id, "evidence": evidence},
        )
    return hits
