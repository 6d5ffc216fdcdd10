"""Anti-fraud hits, for the nightly batch's dealer grading."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from risk.models import FraudHit


def fraud_hits_by_dealer(*, since: dt.datetime) -> dict[int, int]:
    """Anti-fraud hits per dealer id since ``since`` (for dealer grading)."""
    rows = (
        FraudHit.objects.filter(created_at__gte=since, dealer_id__isnull=False)
        .values("dealer_id")
        .annotate(n=Count("id"))
    )
    return {r["dealer_id"]: r["n"] for r in rows}
