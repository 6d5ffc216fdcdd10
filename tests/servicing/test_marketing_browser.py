"""A marketing user in a real browser (issue 21 "Done when"): builds a segment in the rule
builder (live count), creates and launches a campaign, and reads its funnel — on a phone
(390×844) and on a desktop. Screenshots under test-output/marketing/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from autofin.roles import Role
from servicing.models import CustomerFact, MarketingConsent
from servicing.models.marketing import Campaign, Segment, SegmentMember
from servicing.services.marketing.campaigns import campaign_launch
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/marketing")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _login(browser, live_server, user, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def _book() -> None:
    """Seven customers with facts: five paid 24+ instalments, never late; all consent."""
    for n in range(7):
        user = UserFactory(roles=[Role.CUSTOMER], phone=f"1390001{n:04d}")
        CustomerFact.objects.create(
            customer=user, computed_on=dt.date(2026, 11, 20),
            instalments_paid=30 if n < 5 else 6, max_dpd_ever=0 if n != 4 else 0,
            months_to_maturity=8,
        )  # fmt: skip
        MarketingConsent.objects.create(customer=user, given_via="portal")


def test_a_marketing_user_builds_a_segment_launches_a_campaign_and_reads_its_funnel(
    live_server, browser, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = live_server.url
    _book()
    marketer = UserFactory(roles=[Role.MARKETING])

    ctx, page = _login(browser, live_server, marketer, PHONE)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="营销").first.click()
    page.get_by_role("link", name="客群").first.click()
    page.get_by_role("link", name="新建客群").click()
    page.fill("input[name=name]", "按时还款老客户")
    page.get_by_test_id("rule-value").first.fill("24")
    page.get_by_test_id("rule-value").first.dispatch_event("change")
    expect(page.get_by_test_id("segment-count")).to_have_text("5")
    page.get_by_test_id("rule-add").click()
    expect(page.get_by_test_id("rule-row")).to_have_count(2)
    page.wait_for_load_state("networkidle")
    page.locator("#fact_1").select_option("months_to_maturity")
    expect(page.locator("#fact_1")).to_have_value("months_to_maturity")
    page.wait_for_load_state("networkidle")
    page.locator("#op_1").select_option("between")
    expect(page.locator("#value2_1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.locator("#value_1").fill("6")
    page.locator("#value2_1").fill("12")
    page.locator("#value2_1").dispatch_event("change")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("segment-count")).to_have_text("5")
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "builder-phone.png"), full_page=True)
    page.get_by_test_id("segment-save").click()
    expect(page.get_by_test_id("member-count").first).to_have_text("5")
    page.screenshot(path=str(SHOTS / "segments-phone.png"), full_page=True)

    page.get_by_role("link", name="营销活动").first.click()
    page.get_by_role("link", name="新建活动").click()
    page.fill("input[name=name]", "换车季")
    page.select_option("select[name=segment]", label="按时还款老客户")
    page.select_option("select[name=offer_kind]", "next_car")
    page.select_option("select[name=channel]", "sms")
    page.fill("textarea[name=message]", "您的专属购车额度已备好，点击查看。")
    expect(page.get_by_test_id("message-preview")).to_contain_text("【AutoFin】您的专属购车额度")
    start = timezone.localtime() - dt.timedelta(minutes=1)
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=holdout_percent]", "0")
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "campaign-new-phone.png"), full_page=True)
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("草稿")
    page.get_by_test_id("campaign-launch").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("发送中")
    expect(page.get_by_test_id("funnel-members")).to_contain_text("5")
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "campaign-funnel-phone.png"), full_page=True)
    ctx.close()

    campaign = Campaign.objects.get()
    assert campaign.contacts.filter(result="sent").count() == 5
    assert OutboundMessage.objects.filter(purpose="marketing").count() == 5

    ctx, page = _login(browser, live_server, marketer, DESKTOP)
    page.goto(f"{live_server.url}/marketing/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("uplift")).to_be_visible()
    page.screenshot(path=str(SHOTS / "campaign-funnel-desktop.png"), full_page=True)
    page.goto(f"{live_server.url}/marketing/segments/{campaign.segment_id}/")
    expect(page.get_by_test_id("rule-row")).to_have_count(2)
    expect(page).to_have_url(re.compile(r".*/marketing/segments/\d+/$"))
    page.screenshot(path=str(SHOTS / "builder-desktop.png"), full_page=True)
    ctx.close()


def test_a_customer_sees_the_banner_and_unsubscribes_in_one_tap_on_a_phone(
    live_server, browser, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.SITE_URL = live_server.url
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900020001")
    MarketingConsent.objects.create(customer=customer, given_via="portal")
    segment = Segment.objects.create(name="横幅客群", computed_at=timezone.now())
    SegmentMember.objects.create(segment=segment, customer=customer)
    start = timezone.now() - dt.timedelta(minutes=1)
    banner = Campaign.objects.create(
        name="保养季", segment=segment, offer_kind="maintenance", channel="banner",
        message="保养分期，0 首付，点击查看您的专属额度。", starts_at=start,
        holdout_percent=0, status="scheduled",
    )  # fmt: skip
    sms = Campaign.objects.create(
        name="续保提醒", segment=segment, offer_kind="insurance_renewal", channel="sms",
        message="您的车险即将到期。", starts_at=start, holdout_percent=0, status="scheduled",
    )  # fmt: skip
    campaign_launch(campaign_id=banner.pk)
    campaign_launch(campaign_id=sms.pk)

    ctx, page = _login(browser, live_server, customer, PHONE)
    page.goto(f"{live_server.url}/my/loans/")
    expect(page.get_by_test_id("marketing-banner")).to_contain_text("保养分期")
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "banner-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/my/contact/")
    expect(page.get_by_test_id("consent-withdraw")).to_be_visible()
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "consent-phone.png"), full_page=True)
    ctx.close()

    # the SMS's unsubscribe link, opened signed out on the phone: one tap
    body = OutboundMessage.objects.get(purpose="marketing").body
    link = re.search(r"https?://[^\s；]+/m/unsubscribe/[0-9a-f.]+/", body).group(0)
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(link)
    assert MarketingConsent.objects.get(customer=customer).withdrawn_at is None
    page.get_by_test_id("unsubscribe").click()
    expect(page.get_by_test_id("unsubscribed")).to_be_visible()
    _fits(page, PHONE)
    page.screenshot(path=str(SHOTS / "unsubscribed-phone.png"), full_page=True)
    context.close()
    assert MarketingConsent.objects.get(customer=customer).withdrawn_via == "link"
    assert banner.contacts.get().opened_at is not None
