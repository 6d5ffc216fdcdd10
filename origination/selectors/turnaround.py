"""Turnaround figures for the back office: hours from submission to decision and to funding,
per application and summarised per channel or dealer."""

from __future__ import annotations

import statistics

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from origination.models.applications import Application


def _hours(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def turnaround_rows(*, queryset: QuerySet[Application] | None = None) -> list[dict]:
    """Per submitted application: hours from submission to decision and to funding."""
    qs = (queryset if queryset is not None else Application.objects.all()).filter(
        submitted_at__isnull=False
    )
    return [
        {
            "reference": app.reference,
            "channel": app.channel,
            "dealer_id": app.dealer_id,
            "dealer": app.dealer.legal_name if app.dealer_id else "",
            "status": app.status,
            "hours_to_decision": _hours(app.submitted_at, app.decided_at),
            "hours_to_funding": _hours(app.submitted_at, app.funded_at),
        }
        for app in qs.select_related("dealer").order_by("submitted_at")
    ]


def turnaround_summary(*, group_by: str = "channel", queryset=None) -> list[dict]:
    """Count, median and mean hours to decision and to funding per channel or dealer."""
    if group_by not in ("channel", "dealer"):
        raise ValueError(group_by)
    groups: dict[str, list[dict]] = {}
    for row in turnaround_rows(queryset=queryset):
        key = row["channel"] if group_by == "channel" else (row["dealer"] or str(_("直销")))
        groups.setdefault(key, []).append(row)
    result = []
    for key, rows in sorted(groups.items()):
        decision = [r["hours_to_decision"] for r in rows if r["hours_to_decision"] is not None]
        funding = [r["hours_to_funding"] for r in rows if r["hours_to_funding"] is not None]
        result.append(
            {
                "group": key,
                "submitted": len(rows),
                "decided": len(decision),
                "funded": len(funding),
                "median_hours_to_decision": statistics.median(decision) if decision else None,
                "mean_hours_to_decision": round(statistics.fmean(decision), 2)
                if decision
                else None,
                "median_hours_to_funding": statistics.median(funding) if funding else None,
                "mean_hours_to_funding": round(statistics.fmean(funding), 2) if funding else None,
            }
        )
    return result
