"""The demo's response history for the next-best-offer model: a cohort of past customers (their
facts as the nightly batch would have computed them), five past campaigns, and for every contact
whether it was opened, applied, approved and funded — outcomes drawn from the facts with a fixed
random seed (more next-car response near maturity after many paid instalments, renewals near a
policy's end, maintenance on older petrol cars, upgrades from clean payers with little left),
so the model trains on a new install and shows real lift. The cohort has no loans: its facts
rows stand in for the book's history (the nightly refresh only rewrites customers with loans).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import numpy as np
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from autofin.business_date import business_date_current
from autofin.models import User
from autofin.roles import Role
from servicing.models.customers import OfferKind
from servicing.models.marketing import (
    Campaign,
    CampaignChannel,
    CampaignContact,
    CampaignStatus,
    ContactResult,
    CustomerFact,
    Segment,
)
from servicing.services.marketing.campaigns import FACTS_SNAPSHOT_SQL
from servicing.services.nbo.training import nbo_train

SEGMENT_NAME = "历史营销客群（演示）"
USERNAME_PREFIX = "nbo-demo-"
# (name, kind, channel, days before today)
CAMPAIGNS = [
    ("下一辆车预审批·短信（演示）", OfferKind.NEXT_CAR, CampaignChannel.SMS, 300),
    ("续保提醒·短信（演示）", OfferKind.INSURANCE_RENEWAL, CampaignChannel.SMS, 240),
    ("保养分期·横幅（演示）", OfferKind.MAINTENANCE, CampaignChannel.BANNER, 180),
    ("置换升级·邮件（演示）", OfferKind.UPGRADE, CampaignChannel.EMAIL, 120),
    ("下一辆车预审批·横幅（演示）", OfferKind.NEXT_CAR, CampaignChannel.BANNER, 60),
]
HOLDOUT = 0.1
OPEN = {CampaignChannel.SMS: 0.5, CampaignChannel.EMAIL: 0.3, CampaignChannel.BANNER: 0.6}
REACH = {CampaignChannel.SMS: 1.0, CampaignChannel.EMAIL: 0.7, CampaignChannel.BANNER: 0.85}
REVENUE = {
    OfferKind.NEXT_CAR: D("12000"),
    OfferKind.UPGRADE: D("8000"),
    OfferKind.MAINTENANCE: D("600"),
    OfferKind.INSURANCE_RENEWAL: D("450"),
}


def _facts(rng: np.random.Generator, n: int, today: dt.date) -> list[dict]:
    rows = []
    for _i in range(n):
        term = int(rng.choice([24, 36, 48, 60]))
        paid = int(rng.integers(0, term + 1))
        closed = paid == term
        nev = bool(rng.random() < 0.3)
        max_dpd = int(
            rng.choice(
                [0, int(rng.integers(1, 31)), int(rng.integers(31, 91))], p=[0.75, 0.18, 0.07]
            )
        )
        principal = (D(150000) * (term - paid) / term).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        rows.append(
            {
                "loans_active": 0 if closed else 1,
                "loans_closed": 1 if closed else 0,
                "first_funded_on": today - dt.timedelta(days=30 * paid + 15),
                "instalments_paid": paid,
                "current_dpd": int(rng.integers(1, 60)) if (max_dpd and rng.random() < 0.2) else 0,
                "max_dpd_ever": max_dpd,
                "principal_outstanding": D("0.00") if closed else principal,
                "months_to_maturity": None if closed else term - paid,
                "paid_off_on": today - dt.timedelta(days=int(rng.integers(10, 200))) if closed else None,
                "has_nev": nev and not closed,
                "vehicle_kind": "nev" if nev else str(rng.choice(["new", "used"], p=[0.7, 0.3])),
                "insurance_ends_on": None if closed else today + dt.timedelta(days=int(rng.integers(0, 366))),
            }
        )  # fmt: skip
    return rows


def response_chance(kind: str, channel: str, f: dict, today: dt.date) -> float:
    """The demo world's true chance that a contact leads to an application."""
    months_on_book = (today - f["first_funded_on"]).days / 30
    to_maturity = f["months_to_maturity"]
    ends = f["insurance_ends_on"]
    if kind == OfferKind.NEXT_CAR:
        near = to_maturity is not None and to_maturity <= 6 and f["instalments_paid"] >= 24
        p = 0.02 + 0.25 * near + 0.10 * (f["paid_off_on"] is not None)
    elif kind == OfferKind.INSURANCE_RENEWAL:
        p = 0.03 + 0.30 * (ends is not None and (ends - today).days <= 45)
    elif kind == OfferKind.MAINTENANCE:
        p = 0.03 + 0.15 * (months_on_book >= 24 and f["vehicle_kind"] != "nev")
    else:
        clean = f["max_dpd_ever"] == 0 and f["instalments_paid"] >= 12
        p = 0.02 + 0.12 * (clean and f["principal_outstanding"] < D("60000"))
    if f["max_dpd_ever"] > 30:
        p *= 0.3
    return min(0.9, p * REACH[channel])


def nbo_history_seed(*, customers: int = 1000, seed: int = 21, today: dt.date | None = None) -> int:
    """Create the cohort, its facts, the campaigns and their contacts; returns the contacts
    written (0 when the history is already there)."""
    if Segment.objects.filter(name=SEGMENT_NAME).exists():
        return 0
    today = today or business_date_current()
    rng = np.random.default_rng(seed)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"{USERNAME_PREFIX}{i:04d}", display_name=f"演示客户 {i:04d}", password=unusable)
        for i in range(customers)
    )  # fmt: skip
    group, _created = Group.objects.get_or_create(name=Role.CUSTOMER.value)
    through = User.groups.through
    through.objects.bulk_create(through(user_id=u.pk, group_id=group.pk) for u in users)
    facts = _facts(rng, customers, today)
    CustomerFact.objects.bulk_create(
        CustomerFact(customer=u, computed_on=today, marketing_consent=True, **f)
        for u, f in zip(users, facts, strict=True)
    )
    segment = Segment.objects.create(
        name=SEGMENT_NAME,
        description="演示用历史营销客群，供下一最佳邀约模型训练。",
        # the rule builder's own vocabulary (rules.OPS): "=" stopped the nightly segments step
        rules=[{"fact": "marketing_consent", "op": "is_true"}],
        computed_at=timezone.now(),
        member_count=customers,
    )
    contacts, campaigns = [], []
    for name, kind, channel, days_ago in CAMPAIGNS:
        start = timezone.now() - dt.timedelta(days=days_ago)
        campaign = Campaign.objects.create(
            name=name, segment=segment, offer_kind=kind, channel=channel,
            message=f"{kind.label}：尊敬的客户，您有一份专属邀约。", starts_at=start,
            ends_at=start + dt.timedelta(days=30), holdout_percent=int(HOLDOUT * 100),
            status=CampaignStatus.DONE, launched_at=start,
        )  # fmt: skip
        campaigns.append(campaign)
        for user, f in zip(users, facts, strict=True):
            contacts.append(_contact(rng, campaign, user, f, today, start))
    CampaignContact.objects.bulk_create(contacts, batch_size=2000)
    # the history carries its launch snapshot like a real launch's contacts (the seeded facts
    # are the ones the responses were drawn from)
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE servicing_campaigncontact cc SET facts = {FACTS_SNAPSHOT_SQL}
                  FROM servicing_customerfact f
                 WHERE f.customer_id = cc.customer_id AND cc.campaign_id = ANY(%s)""",  # noqa: S608 - a constant expression
            [[c.pk for c in campaigns]],
        )
    return len(contacts)


def _contact(rng, campaign: Campaign, user, f: dict, today: dt.date, start) -> CampaignContact:
    chance = response_chance(campaign.offer_kind, campaign.channel, f, today)
    chance = min(0.9, chance * float(rng.lognormal(0, 0.3)))  # noise around the true chance
    held = rng.random() < HOLDOUT
    contact = CampaignContact(
        campaign=campaign, customer=user,
        result=ContactResult.HOLDOUT if held else ContactResult.SENT,
    )  # fmt: skip
    sent = start + dt.timedelta(hours=int(rng.integers(0, 72)))
    if held:
        # the hold-out saw nothing: a little organic demand, so the uplift is measurable
        chance *= 0.2
    else:
        contact.sent_at = sent
    applied = rng.random() < chance
    if not held and (applied or rng.random() < OPEN[campaign.channel]):
        contact.opened_at = sent + dt.timedelta(hours=int(rng.integers(1, 48)))
    if not applied:
        return contact
    contact.applied_at = sent + dt.timedelta(days=int(rng.integers(2, 20)))
    if rng.random() < (0.75 if f["max_dpd_ever"] == 0 else 0.4):
        contact.approved_at = contact.applied_at + dt.timedelta(days=1)
        if rng.random() < 0.85:
            contact.funded_at = contact.approved_at + dt.timedelta(days=int(rng.integers(1, 7)))
            spread = D(int(rng.integers(70, 131))) / 100
            contact.revenue = (REVENUE[campaign.offer_kind] * spread).quantize(
                D("0.01"), rounding=ROUND_HALF_UP
            )
    return contact


def nbo_seed(*, stdout, context: dict) -> None:  # noqa: ARG001 - the seed steps' signature
    written = nbo_history_seed()
    if not written:
        return
    model = nbo_train()
    stdout.write(
        f"  next-best-offer: {written} past campaign contacts; model v{model.version} "
        f"held-out AUC {model.metrics['auc']}, top-decile lift {model.metrics['top_decile_lift']}"
    )
