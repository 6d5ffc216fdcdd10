"""Campaigns (issue 21 §3): a launch skips customers without marketing consent, respects the
frequency cap and contact hours, keeps a reproducible hold-out, queues one message per treated
customer with its tracking and unsubscribe links; the links, the banner, and the attribution of
applications and loans to treated and hold-out contacts alike."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from autofin.models import OutboundMessage
from autofin.roles import Role
from servicing.models import LoanScheduleRow, MarketingConsent
from servicing.models.customers import Offer
from servicing.models.marketing import Campaign, CampaignContact, Segment, SegmentMember
from servicing.services.marketing.attribution import attribution_refresh
from servicing.services.marketing.campaigns import campaign_launch
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_factory import loan_through_funding

pytestmark = pytest.mark.django_db(transaction=False)

BEIJING = ZoneInfo("Asia/Shanghai")
LATE_EVENING = dt.datetime(2026, 11, 20, 22, 30, tzinfo=BEIJING)
LINK = re.compile(r"/m/(o|unsubscribe)/([0-9]+\.[0-9a-f]+)/")


@pytest.fixture(autouse=True)
def _caps(settings):
    """A cap of two messages in 30 days (the tests send a third), links on a fixed site."""
    settings.MARKETING_FREQUENCY_CAP = 2
    settings.MARKETING_FREQUENCY_DAYS = 30
    settings.SITE_URL = "https://autofin.example"


def _customer(*, consent=True, **kw):
    user = UserFactory(roles=[Role.CUSTOMER], **kw)
    if consent:
        MarketingConsent.objects.create(customer=user, given_via="portal")
    return user


def _campaign(members, *, channel="sms", holdout=0, starts_at=LATE_EVENING, name="置换季"):
    segment = Segment.objects.create(name=f"seg-{name}", computed_at=timezone.now())
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, customer=m) for m in members)
    return Campaign.objects.create(
        name=name, segment=segment, offer_kind="next_car", channel=channel,
        message="您的专属购车额度已备好。", starts_at=starts_at - dt.timedelta(minutes=5),
        holdout_percent=holdout, status="scheduled",
    )  # fmt: skip


def _sent_before(customer, *, days_ago: int) -> None:
    old = _campaign([], name=f"old-{customer.pk}-{days_ago}")
    for n in range(2):
        CampaignContact.objects.create(
            campaign=old if n == 0 else _campaign([], name=f"old-{customer.pk}-{days_ago}-{n}"),
            customer=customer, result="sent",
            sent_at=LATE_EVENING - dt.timedelta(days=days_ago),
        )  # fmt: skip


def test_launch_skips_no_consent_caps_and_waits_for_contact_hours():
    treated = _customer(phone="13700000001")
    no_consent = _customer(consent=False, phone="13700000002")
    withdrawn = _customer(phone="13700000003")
    MarketingConsent.objects.filter(customer=withdrawn).update(withdrawn_at=timezone.now())
    capped = _customer(phone="13700000004")
    _sent_before(capped, days_ago=10)
    cap_expired = _customer(phone="13700000005")
    _sent_before(cap_expired, days_ago=40)
    offer = Offer.objects.create(
        customer=treated, kind="next_car", limit_amount=Decimal("150000.00"),
        annual_rate=Decimal("0.059000"), max_term_months=36, expires_on=dt.date(2027, 1, 31),
    )  # fmt: skip
    campaign = _campaign([treated, no_consent, withdrawn, capped, cap_expired])
    messages_before = OutboundMessage.objects.count()

    counts = campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)

    assert counts == {"sent": 2, "no_consent": 2, "capped": 1}
    result = dict(campaign.contacts.values_list("customer_id", "result"))
    assert result == {
        treated.pk: "sent", no_consent.pk: "no_consent", withdrawn.pk: "no_consent",
        capped.pk: "capped", cap_expired.pk: "sent",
    }  # fmt: skip
    morning = dt.datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING)
    sent = campaign.contacts.filter(result="sent").order_by("customer_id")
    messages = OutboundMessage.objects.filter(purpose="marketing").order_by("to")
    assert OutboundMessage.objects.count() == messages_before + 2
    assert [m.to for m in messages] == ["13700000001", "13700000005"]
    for contact, message in zip(sent, messages, strict=True):
        assert contact.message_id == message.pk
        assert contact.sent_at == morning
        assert message.not_before == morning  # 22:30 is outside 08:00–21:00
        assert message.status == "queued" and message.channel == "sms"
        assert message.body.startswith("【AutoFin】您的专属购车额度已备好。")
        kinds = [k for k, _token in LINK.findall(message.body)]
        assert kinds == ["o", "unsubscribe"]
        assert "https://autofin.example/m/o/" in message.body
    assert campaign.contacts.get(customer=treated).offer == offer
    assert campaign.contacts.get(customer=cap_expired).offer is None
    campaign.refresh_from_db()
    assert campaign.status == "running" and campaign.launched_at == LATE_EVENING

    # a second launch (a redelivered task) changes nothing
    assert campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING) == {}
    assert OutboundMessage.objects.count() == messages_before + 2
    assert campaign.contacts.count() == 5


def test_inside_contact_hours_the_message_goes_at_once():
    customer = _customer(phone="13700000011")
    noon = dt.datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING)
    campaign = _campaign([customer], starts_at=noon)
    campaign_launch(campaign_id=campaign.pk, now=noon)
    assert OutboundMessage.objects.get(purpose="marketing").not_before == noon


def test_the_hold_out_is_a_reproducible_draw_and_gets_no_message():
    customers = [_customer(phone=f"1380000{n:04d}") for n in range(200)]
    campaign = _campaign(customers, holdout=20)

    campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)

    holdout = set(campaign.contacts.filter(result="holdout").values_list("customer_id", flat=True))
    assert 20 <= len(holdout) <= 60  # 20 % of 200, give or take the draw
    assert campaign.contacts.filter(result="sent").count() == 200 - len(holdout)
    messaged = set(
        campaign.contacts.filter(message_id__isnull=False).values_list("customer_id", flat=True)
    )
    assert not holdout & messaged
    assert OutboundMessage.objects.filter(purpose="marketing").count() == 200 - len(holdout)

    # the same campaign drawn again keeps the same customers out
    CampaignContact.objects.filter(campaign=campaign).update(message_id=None)
    CampaignContact.objects.filter(campaign=campaign).delete()
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled")
    campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)
    again = set(campaign.contacts.filter(result="holdout").values_list("customer_id", flat=True))
    assert again == holdout


def _links(customer) -> dict:
    body = OutboundMessage.objects.get(purpose="marketing", to=customer.phone).body
    return dict(LINK.findall(body))


def test_the_tracking_link_marks_opened_and_lands_on_the_offers(client):
    customer = _customer(phone="13700000021")
    campaign = _campaign([customer])
    campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)
    token = _links(customer)["o"]
    contact = campaign.contacts.get()

    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.get(f"/m/o/{forged}/").status_code == 404
    contact.refresh_from_db()
    assert contact.opened_at is None

    response = client.get(f"/m/o/{token}/")
    assert response.status_code == 302 and response["Location"] == "/my/offers/"
    contact.refresh_from_db()
    first = contact.opened_at
    assert first is not None
    client.get(f"/m/o/{token}/")
    contact.refresh_from_db()
    assert contact.opened_at == first  # the first opening counts


def test_unsubscribe_is_one_tap_and_a_get_withdraws_nothing(client):
    customer = _customer(phone="13700000031")
    campaign = _campaign([customer])
    campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)
    token = _links(customer)["unsubscribe"]
    assert _links(customer)["o"] != token

    page = client.get(f"/m/unsubscribe/{token}/")
    assert page.status_code == 200
    assert page.content.decode().count("退订营销信息</button>") == 1
    assert MarketingConsent.objects.get(customer=customer).withdrawn_at is None
    # the tracking token is not an unsubscribe token
    assert client.post(f"/m/unsubscribe/{_links(customer)['o']}/").status_code == 404
    assert MarketingConsent.objects.get(customer=customer).withdrawn_at is None

    done = client.post(f"/m/unsubscribe/{token}/")
    assert done.status_code == 200
    consent = MarketingConsent.objects.get(customer=customer)
    assert consent.withdrawn_at is not None and consent.withdrawn_via == "link"

    # the next campaign does not message them
    later = _campaign([customer], name="later")
    campaign_launch(campaign_id=later.pk, now=LATE_EVENING)
    assert later.contacts.get().result == "no_consent"


def test_the_banner_shows_on_my_loans_while_consented_and_counts_as_opened(client):
    customer = _customer(phone="13700000041")
    now = timezone.now()
    campaign = _campaign([customer], channel="banner", starts_at=now)
    campaign_launch(campaign_id=campaign.pk, now=now)
    contact = campaign.contacts.get()
    assert contact.result == "sent" and contact.message_id is None
    assert not OutboundMessage.objects.filter(purpose="marketing").exists()

    client.login(username=customer.username, password=PASSWORD)
    page = client.get("/my/loans/").content.decode()
    assert "您的专属购车额度已备好。" in page and 'data-testid="marketing-banner"' in page
    contact.refresh_from_db()
    assert contact.opened_at is not None

    other = _customer(phone="13700000042")
    client.login(username=other.username, password=PASSWORD)
    assert 'data-testid="marketing-banner"' not in client.get("/my/loans/").content.decode()

    MarketingConsent.objects.filter(customer=customer).update(withdrawn_at=timezone.now())
    client.login(username=customer.username, password=PASSWORD)
    assert 'data-testid="marketing-banner"' not in client.get("/my/loans/").content.decode()


def test_attribution_fills_the_response_of_treated_and_hold_out_contacts_alike():
    before = _customer(phone="13700000051")
    loan_through_funding(customer=before, amount="40000.00", term=12)  # before the window
    start = timezone.now()
    treated, holdout, idle = (_customer(phone=f"1370000006{n}") for n in range(3))
    # the helper starts a campaign five minutes before the time it is given
    campaign = _campaign(
        [treated, holdout, idle, before], starts_at=start + dt.timedelta(minutes=5)
    )
    Campaign.objects.filter(pk=campaign.pk).update(status="running", launched_at=start)
    for customer, result in (
        (treated, "sent"),
        (holdout, "holdout"),
        (idle, "sent"),
        (before, "sent"),
    ):
        CampaignContact.objects.create(
            campaign=campaign, customer=customer, result=result, sent_at=start
        )
    treated_loan = loan_through_funding(customer=treated, amount="60000.00", term=12)
    holdout_loan = loan_through_funding(customer=holdout, amount="30000.00", term=24)

    attribution_refresh(now=timezone.now() + dt.timedelta(minutes=1))
    again = attribution_refresh(now=timezone.now() + dt.timedelta(minutes=1))

    assert again["attributed"] == 0  # a re-run changes nothing
    by = {c.customer_id: c for c in campaign.contacts.all()}
    for customer, loan in ((treated, treated_loan), (holdout, holdout_loan)):
        contact = by[customer.pk]
        rows = LoanScheduleRow.objects.filter(loan=loan, superseded_by_version__isnull=True)
        income = rows.aggregate(s=Sum(F("interest") + F("fee")))["s"]
        assert contact.application_id == loan.application_id
        assert contact.loan_id == loan.pk
        assert contact.applied_at and contact.approved_at and contact.funded_at
        assert contact.applied_at >= start
        assert contact.revenue == income > 0
    for customer in (idle, before):
        contact = by[customer.pk]
        assert (contact.application_id, contact.loan_id, contact.revenue) == (None, None, 0)
        assert contact.applied_at is None


def test_members_without_the_channels_address_are_counted_not_dropped():
    from servicing.services.marketing.report import campaign_funnel

    reachable = _customer(phone="13700000021", email="li@example.com")
    no_email = _customer(phone="13700000022", email="")
    no_email_no_consent = _customer(consent=False, phone="13700000023", email="")
    campaign = _campaign([reachable, no_email, no_email_no_consent], channel="email")
    messages_before = OutboundMessage.objects.count()

    counts = campaign_launch(campaign_id=campaign.pk, now=LATE_EVENING)

    assert counts == {"sent": 1, "no_address": 2}
    assert dict(campaign.contacts.values_list("customer_id", "result")) == {
        reachable.pk: "sent", no_email.pk: "no_address", no_email_no_consent.pk: "no_address",
    }  # fmt: skip
    assert list(
        OutboundMessage.objects.filter(purpose="marketing").values_list("to", flat=True)
    ) == ["li@example.com"]
    assert OutboundMessage.objects.count() == messages_before + 1
    funnel = campaign_funnel(campaign)
    assert (funnel["treated"]["members"], funnel["no_address"], funnel["no_consent"]) == (1, 2, 0)
