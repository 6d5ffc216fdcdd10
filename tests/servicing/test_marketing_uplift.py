"""The uplift report on a seeded response history: 400 treated and 100 hold-out contacts with
known conversions; the figures match the two-proportion normal approximation by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from autofin.models import User
from servicing.models.marketing import Campaign, CampaignContact, Segment
from servicing.services.marketing.report import (
    campaign_funnel,
    campaign_uplift,
    two_proportion_uplift,
)

pytestmark = pytest.mark.django_db(transaction=False)


def _history() -> Campaign:
    segment = Segment.objects.create(name="seeded")
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="seeded", segment=segment, offer_kind="upgrade", channel="sms", message="x",
        starts_at=now - dt.timedelta(days=40), holdout_percent=20, status="done",
    )  # fmt: skip
    users = User.objects.bulk_create(User(username=f"seed{n}", password="!") for n in range(520))
    contacts = []
    for n, user in enumerate(users):
        if n < 400:  # treated: 200 opened, 80 applied, 50 approved, 40 funded
            result, k = "sent", n
        elif n < 500:  # hold-out: 10 applied, 6 approved, 5 funded
            result, k = "holdout", n - 400 + 1000
        else:
            result, k = ("no_consent" if n < 515 else "capped"), 9999
        step = {
            "opened_at": now if k < 200 else None,
            "applied_at": now if k < 80 or 1000 <= k < 1010 else None,
            "approved_at": now if k < 50 or 1000 <= k < 1006 else None,
            "funded_at": now if k < 40 or 1000 <= k < 1005 else None,
        }
        revenue = Decimal("3125.50") if step["funded_at"] else Decimal("0")
        contacts.append(
            CampaignContact(
                campaign=campaign, customer=user, result=result, revenue=revenue, **step
            )
        )
    CampaignContact.objects.bulk_create(contacts)
    return campaign


def test_funnel_and_uplift_match_the_hand_computed_figures():
    campaign = _history()

    funnel = campaign_funnel(campaign)
    uplift = campaign_uplift(campaign)

    t, h = funnel["treated"], funnel["holdout"]
    assert (t["members"], t["opened"], t["applied"], t["approved"], t["funded"]) == (
        400, 200, 80, 50, 40,
    )  # fmt: skip
    assert (h["members"], h["opened"], h["applied"], h["approved"], h["funded"]) == (
        100, 0, 10, 6, 5,
    )  # fmt: skip
    assert t["revenue"] == Decimal("125020.00") and h["revenue"] == Decimal("15627.50")
    assert (funnel["no_consent"], funnel["capped"]) == (15, 5)

    # funded: p_t = 40/400 = 0.10, p_h = 5/100 = 0.05, d = 0.05,
    # se = sqrt(0.1·0.9/400 + 0.05·0.95/100) = sqrt(0.0007) = 0.0264575131,
    # CI = 0.05 ± 1.96·se = [-0.0018567257, 0.1018567257]
    funded = uplift["funded"]
    assert (funded.treated_rate, funded.holdout_rate) == (0.10, 0.05)
    assert funded.difference == pytest.approx(0.05, abs=1e-12)
    assert funded.low == pytest.approx(-0.0018567257, abs=1e-9)
    assert funded.high == pytest.approx(0.1018567257, abs=1e-9)
    assert funded.significant is False
    # applied: p_t = 0.20, p_h = 0.10, se = sqrt(0.0004 + 0.0009) = 0.0360555128,
    # CI = 0.10 ± 0.0706688051 = [0.0293311949, 0.1706688051]
    applied = uplift["applied"]
    assert applied.difference == pytest.approx(0.10, abs=1e-12)
    assert applied.low == pytest.approx(0.0293311949, abs=1e-9)
    assert applied.high == pytest.approx(0.1706688051, abs=1e-9)
    assert applied.significant is True


def test_no_hold_out_no_uplift():
    assert two_proportion_uplift(treated_n=10, treated_x=1, holdout_n=0, holdout_x=0) is None
