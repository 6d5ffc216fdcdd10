"""A campaign's funnel and its uplift (treated vs hold-out)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from servicing.models.marketing import Campaign, CampaignContact, ContactResult

Z95 = 1.96  # the two-sided 95 % normal quantile, as the formula and hand figures use it


def campaign_funnel(campaign: Campaign) -> dict:
    """Counts per stage for the treated group (sent), the hold-out beside it, and the
    customers not contacted (no consent, capped, no address for the channel)."""
    rows = (
        CampaignContact.objects.filter(campaign=campaign)
        .values("result")
        .annotate(
            members=Count("id"),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            applied=Count("id", filter=Q(applied_at__isnull=False)),
            approved=Count("id", filter=Q(approved_at__isnull=False)),
            funded=Count("id", filter=Q(funded_at__isnull=False)),
            revenue=Sum("revenue"),
        )
        .order_by()
    )
    by = {r["result"]: r for r in rows}
    empty = {"members": 0, "opened": 0, "applied": 0, "approved": 0, "funded": 0}
    treated = {**empty, "revenue": Decimal("0.00"), **by.get(ContactResult.SENT, {})}
    holdout = {**empty, "revenue": Decimal("0.00"), **by.get(ContactResult.HOLDOUT, {})}
    treated["revenue"] = treated["revenue"] or Decimal("0.00")
    holdout["revenue"] = holdout["revenue"] or Decimal("0.00")
    return {
        "treated": treated,
        "holdout": holdout,
        "no_consent": by.get(ContactResult.NO_CONSENT, {}).get("members", 0),
        "capped": by.get(ContactResult.CAPPED, {}).get("members", 0),
        "no_address": by.get(ContactResult.NO_ADDRESS, {}).get("members", 0),
    }


@dataclass(frozen=True)
class Uplift:
    treated_n: int
    treated_x: int
    holdout_n: int
    holdout_x: int
    treated_rate: float
    holdout_rate: float
    difference: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0


def two_proportion_uplift(*, treated_n: int, treated_x: int, holdout_n: int, holdout_x: int):
    """Conversion difference treated − hold-out with a 95 % confidence interval, by the
    two-proportion normal approximation (unpooled, Wald):

        p_t = x_t / n_t,  p_h = x_h / n_h,  d = p_t − p_h
        se  = sqrt(p_t (1 − p_t) / n_t + p_h (1 − p_h) / n_h)
        CI  = d ± 1.96 · se

    None when either group is empty (no rate to compare). Rates are statistics, not money:
    floats are right here."""
    if treated_n <= 0 or holdout_n <= 0:
        return None
    p_t, p_h = treated_x / treated_n, holdout_x / holdout_n
    d = p_t - p_h
    se = math.sqrt(p_t * (1 - p_t) / treated_n + p_h * (1 - p_h) / holdout_n)
    return Uplift(
        treated_n, treated_x, holdout_n, holdout_x, p_t, p_h, d, d - Z95 * se, d + Z95 * se
    )


def campaign_uplift(campaign: Campaign) -> dict:
    """Uplift on funded (the goal) and on applied conversions."""
    funnel = campaign_funnel(campaign)
    t, h = funnel["treated"], funnel["holdout"]
    return {
        stage: two_proportion_uplift(
            treated_n=t["members"], treated_x=t[stage], holdout_n=h["members"], holdout_x=h[stage]
        )
        for stage in ("funded", "applied")
    }
