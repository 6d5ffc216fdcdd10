"""The demo shows issue 21's pages with something on them: the marketing and care-supervisor
logins, consents, complaints in several states (a collections one pausing contact, a breached one
escalated), a launched campaign with its hold-out, the demo customer's pre-approved maintenance
offer and their policy renewing with quotes."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from autofin.business_date import business_date_current
from autofin.models import User
from autofin.roles import Role, user_has_role
from servicing.models.customers import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    MarketingConsent,
    Offer,
    OfferKind,
    OfferStatus,
)
from servicing.models.insurance import QuoteStatus, RenewalQuote
from servicing.models.marketing import CampaignContact, CampaignStatus, ContactResult, Segment
from servicing.services.complaints.pause import collections_paused
from servicing.services.marketing.segments import segments_compute_all


@pytest.mark.django_db
def test_demo_seeds_the_customer_lifecycle(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert user_has_role(User.objects.get(username="marketing"), Role.MARKETING)
    assert user_has_role(User.objects.get(username="care_lead"), Role.CARE_SUPERVISOR)
    customer = User.objects.get(username="customer")
    assert MarketingConsent.objects.filter(customer=customer, withdrawn_at__isnull=True).exists()

    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {
        ComplaintStatus.RECEIVED,
        ComplaintStatus.ACKNOWLEDGED,
        ComplaintStatus.RESOLVED,
    } <= statuses
    collection = Complaint.objects.get(category=ComplaintCategory.COLLECTION)
    assert collection.pauses_collections and collections_paused(collection.loan_id)
    assert Complaint.objects.filter(escalation_level__gt=0).exists()

    assert Segment.objects.filter(member_count__gt=0, computed_at__isnull=False).exists()
    # every demo segment's rules compile (the nightly step recomputes them all)
    assert segments_compute_all(today=business_date_current())["computed"]
    contacts = CampaignContact.objects.filter(campaign__status=CampaignStatus.RUNNING)
    assert contacts.filter(result=ContactResult.SENT).exists()
    assert contacts.filter(result=ContactResult.NO_CONSENT).exists()

    offer = Offer.objects.get(customer=customer, kind=OfferKind.MAINTENANCE)
    assert offer.status == OfferStatus.ACTIVE and offer.limit_amount > 0
    quotes = RenewalQuote.objects.filter(policy__loan__customer=customer)
    assert quotes.filter(status=QuoteStatus.OFFERED).exists()
    _customer_pages_in_chinese()


# an English state or enum code in the customer's Chinese pages (the walk's check)
RAW = re.compile(
    r"\b(next_car|upgrade|maintenance|insurance_renewal|active|expired|declined|received|"
    r"acknowledged|resolved|closed|pricing|collection|portal|phone|sms|email|banner|offered|"
    r"refused|unavailable|None|True|False)\b"
)


def _main(html: str) -> str:
    body = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def _customer_pages_in_chinese():
    """One seed for both checks: it is the slow part."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username="customer"))
    texts = {}
    for url in ("/my/offers/", "/my/insurance/", "/my/complaints/", "/my/contact/", "/my/loans/"):
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = _main(response.content.decode())
        assert not RAW.findall(texts[url]), (url, RAW.findall(texts[url]))
    assert "保养分期" in texts["/my/offers/"]
    assert "续保报价" in texts["/my/insurance/"]
    assert "保养分期：合作服务商保养费用最长可分 12 期。" in texts["/my/loans/"]
