"""The marketing pages: only the marketing role reaches them; the rule builder's live count and
save, a campaign created and launched from its pages; the customer's consent on the contact
page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from autofin.models import OutboundMessage
from autofin.roles import Role
from servicing.models import CustomerFact, MarketingConsent
from servicing.models.marketing import Campaign, Segment
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

PAGES = ["/marketing/segments/", "/marketing/segments/new/", "/marketing/campaigns/",
         "/marketing/campaigns/new/"]  # fmt: skip


def _login(client, *roles):
    user = UserFactory(roles=list(roles))
    client.login(username=user.username, password=PASSWORD)
    return user


def _facts(n_loyal: int, n_other: int) -> list:
    customers = []
    for n in range(n_loyal + n_other):
        user = UserFactory(roles=[Role.CUSTOMER], phone=f"1390000{n:04d}")
        CustomerFact.objects.create(
            customer=user, computed_on=dt.date(2026, 11, 20),
            instalments_paid=30 if n < n_loyal else 3,
        )  # fmt: skip
        MarketingConsent.objects.create(customer=user, given_via="portal")
        customers.append(user)
    return customers


@pytest.mark.parametrize("role", [Role.SERVICING_AGENT, Role.CUSTOMER, Role.CARE_SUPERVISOR])
def test_other_roles_are_refused(client, role):
    _login(client, role)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/marketing/segments/preview/", {"row": "0"}).status_code == 403


def test_the_builder_counts_live_and_saves_a_computed_segment(client):
    _facts(3, 2)
    marketer = _login(client, Role.MARKETING)
    rows = {"row": ["0"], "fact_0": "instalments_paid", "op_0": "gte", "value_0": "24"}

    preview = client.post("/marketing/segments/preview/", rows).content.decode()
    assert 'data-testid="segment-count">3<' in preview

    added = client.post("/marketing/segments/preview/", {**rows, "action": "add"}).content.decode()
    assert added.count('data-testid="rule-row"') == 2

    # a fact changed to a date: its operators replace the number ones
    dated = {"row": ["0"], "fact_0": "settled_early_on", "op_0": "gte", "value_0": "24"}
    page = client.post("/marketing/segments/preview/", dated).content.decode()
    assert 'value="last_days" selected' in page

    saved = client.post(
        "/marketing/segments/new/", {**rows, "name": "老客户", "description": "", "action": "save"}
    )
    assert saved.status_code == 302
    segment = Segment.objects.get(name="老客户")
    assert segment.rules == [{"fact": "instalments_paid", "op": "gte", "value": "24"}]
    assert segment.member_count == 3 and segment.members.count() == 3
    assert segment.created_by == marketer


def test_a_bad_rule_is_shown_and_saves_nothing(client):
    _login(client, Role.MARKETING)
    page = client.post(
        "/marketing/segments/new/",
        {"row": ["0"], "fact_0": "instalments_paid", "op_0": "gte", "value_0": "abc",
         "name": "坏规则", "action": "save"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "条件的值格式不正确。" in page.content.decode()
    assert not Segment.objects.exists()


def test_a_campaign_created_launched_and_its_funnel_read(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    customers = _facts(4, 1)
    _login(client, Role.MARKETING)
    client.post(
        "/marketing/segments/new/",
        {"row": ["0"], "fact_0": "instalments_paid", "op_0": "gte", "value_0": "24",
         "name": "老客户", "action": "save"},
    )  # fmt: skip
    segment = Segment.objects.get()
    start = timezone.localtime() - dt.timedelta(minutes=1)

    preview = client.post(
        "/marketing/campaigns/preview/", {"message": "换新车，专属额度。", "channel": "sms"}
    ).content.decode()
    assert "【AutoFin】换新车，专属额度。" in preview and "/m/unsubscribe/" in preview

    created = client.post(
        "/marketing/campaigns/new/",
        {"name": "换车季", "segment": segment.pk, "offer_kind": "next_car", "channel": "sms",
         "message": "换新车，专属额度。", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
         "holdout_percent": "0", "action": "save"},
    )  # fmt: skip
    campaign = Campaign.objects.get()
    assert created["Location"] == f"/marketing/campaigns/{campaign.pk}/"
    assert campaign.status == "draft"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/marketing/campaigns/{campaign.pk}/launch/")

    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert campaign.contacts.filter(result="sent").count() == 4
    assert OutboundMessage.objects.filter(purpose="marketing").count() == 4
    assert not campaign.contacts.filter(customer=customers[4]).exists()
    page = client.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="funnel-members"><th scope="row">触达人数</th><td class="num">4<' in page
    # launching twice is refused and changes nothing
    client.post(f"/marketing/campaigns/{campaign.pk}/launch/")
    assert OutboundMessage.objects.filter(purpose="marketing").count() == 4


def test_the_customer_gives_and_withdraws_consent_on_the_contact_page(client):
    customer = _login(client, Role.CUSTOMER)
    page = client.get("/my/contact/").content.decode()
    assert "本人同意 AutoFin 通过短信" in page and 'data-testid="consent-give"' in page

    client.post("/my/marketing-consent/", {"give": "1"})
    consent = MarketingConsent.objects.get(customer=customer, withdrawn_at__isnull=True)
    assert consent.given_via == "portal"
    assert 'data-testid="consent-withdraw"' in client.get("/my/contact/").content.decode()

    client.post("/my/marketing-consent/", {"give": "0"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_via == "portal"


def test_staff_cannot_post_a_customers_consent(client):
    marketer = _login(client, Role.MARKETING)
    assert client.post("/my/marketing-consent/", {"give": "1"}).status_code == 403
    assert not MarketingConsent.objects.filter(customer=marketer).exists()


def test_a_segment_that_failed_to_compute_shows_why_in_chinese(client):
    _login(client, Role.MARKETING)
    segment = Segment.objects.create(
        name="旧规则客群",
        rules=[{"fact": "retired_fact", "op": "eq", "value": "1"}],
        compute_error="第 1 条规则：未知的客户特征。",
    )
    body = client.get("/marketing/segments/").content.decode()
    assert 'data-testid="segment-error"' in body and "第 1 条规则：未知的客户特征。" in body
    edit = client.get(f"/marketing/segments/{segment.pk}/").content.decode()
    assert "上次计算失败" in edit
    # recomputing it by hand is refused with the reason, not a server error
    response = client.post(f"/marketing/segments/{segment.pk}/compute/", follow=True)
    assert "客群规则已失效" in response.content.decode()
    segment.refresh_from_db()
    assert segment.computed_at is None and segment.member_count == 0


def _draft(status="draft") -> Campaign:
    segment = Segment.objects.create(name="老客户", computed_at=timezone.now())
    return Campaign.objects.create(
        name="换车季", segment=segment, offer_kind="next_car", channel="sms",
        message="换新车，专属额度。", starts_at=timezone.now() + dt.timedelta(days=3),
        holdout_percent=10, status=status,
    )  # fmt: skip


def _edit_post(campaign, **changes) -> dict:
    data = {
        "name": campaign.name, "segment": campaign.segment_id, "offer_kind": campaign.offer_kind,
        "channel": campaign.channel, "message": campaign.message,
        "starts_at": timezone.localtime(campaign.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "holdout_percent": str(campaign.holdout_percent), "action": "save",
    }  # fmt: skip
    return {**data, **changes}


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_a_draft_or_scheduled_campaign_is_edited_and_cancelled(client, status):
    _login(client, Role.MARKETING)
    campaign = _draft(status)
    page = client.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="campaign-edit"' in page and 'data-testid="campaign-cancel"' in page
    assert "修改活动" in client.get(f"/marketing/campaigns/{campaign.pk}/edit/").content.decode()

    response = client.post(
        f"/marketing/campaigns/{campaign.pk}/edit/",
        _edit_post(campaign, message="保养季，专属分期。", holdout_percent="20"),
    )
    assert response["Location"] == f"/marketing/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert (campaign.message, campaign.holdout_percent, campaign.status) == (
        "保养季，专属分期。", 20, status,
    )  # fmt: skip

    client.post(f"/marketing/campaigns/{campaign.pk}/cancel/")
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"
    assert campaign.contacts.count() == 0 and not OutboundMessage.objects.exists()


@pytest.mark.parametrize("status", ["running", "done", "cancelled"])
def test_a_launched_or_cancelled_campaign_cannot_be_edited_or_cancelled(client, status):
    _login(client, Role.MARKETING)
    campaign = _draft(status)
    page = client.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="campaign-edit"' not in page
    client.post(f"/marketing/campaigns/{campaign.pk}/edit/", _edit_post(campaign, message="改了"))
    response = client.post(f"/marketing/campaigns/{campaign.pk}/cancel/", follow=True)
    assert "活动已开始发送，不能再修改或取消。" in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.message, campaign.status) == ("换新车，专属额度。", status)


@pytest.mark.parametrize("role", [Role.SERVICING_AGENT, Role.CUSTOMER, Role.CARE_SUPERVISOR])
def test_only_marketing_edits_or_cancels_a_campaign(client, role):
    _login(client, role)
    campaign = _draft()
    edit = client.post(
        f"/marketing/campaigns/{campaign.pk}/edit/", _edit_post(campaign, message="改了")
    )
    cancel = client.post(f"/marketing/campaigns/{campaign.pk}/cancel/")
    assert edit.status_code == cancel.status_code == 403
    campaign.refresh_from_db()
    assert (campaign.message, campaign.status) == ("换新车，专属额度。", "draft")
