"""A customer on a phone (390×844) files a complaint, and after the agent's resolution confirms
it; the agent's queue and complaint page on a desktop. Screenshots under test-output/complaints/.
No English word or raw code on the Chinese pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models import Complaint
from servicing.models.surveys import SurveyInvitation
from servicing.services.complaints.surveys import survey_link
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/complaints")
LEAKS = re.compile(
    r"\b(None|received|acknowledged|resolved|closed|pricing|collection|portal|True|False)\b"
)


def test_a_customer_files_on_a_phone_and_later_confirms_the_resolution(
    live_server, phone_page, page, browser_login
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13933330001")
    agent = UserFactory(roles=[Role.CARE_SUPERVISOR], display_name="客服主管甲")

    browser_login(phone_page, customer.username, PASSWORD)
    phone_page.goto(f"{live_server.url}/my/complaints/")
    phone_page.get_by_test_id("new-complaint").click()
    phone_page.select_option("select[name=category]", "pricing")
    phone_page.fill("input[name=summary]", "提前还款违约金比合同约定多收")
    phone_page.fill("textarea[name=detail]", "合同约定 2%，实际收取 3%。")
    phone_page.screenshot(path=str(SHOTS / "phone_new.png"), full_page=True)
    phone_page.get_by_role("button", name="提交投诉").click()
    expect(phone_page.get_by_test_id("complaint-status")).to_have_text("待受理")
    complaint = Complaint.objects.get(customer=customer)
    expect(phone_page.get_by_test_id("complaint-ref")).to_have_text(complaint.reference)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

    # the agent's desktop: queue with its countdown, then acknowledge and resolve on the page
    browser_login(page, agent.username, PASSWORD)
    page.goto(f"{live_server.url}/servicing/complaints/")
    expect(page.get_by_test_id("complaint-queue")).to_contain_text(complaint.reference)
    expect(page.get_by_test_id("sla").first).to_contain_text("剩余")
    page.screenshot(path=str(SHOTS / "desktop_queue.png"), full_page=True)
    page.get_by_test_id("complaint-queue").get_by_role("link", name="处理", exact=True).click()
    page.get_by_test_id("acknowledge").click()
    page.fill("#resolution", "经核实多收 1%，已于今日退还至您的还款账户。")
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("待客户确认")
    page.screenshot(path=str(SHOTS / "desktop_detail.png"), full_page=True)
    assert not LEAKS.search(page.inner_text("main"))

    # the customer, later, on the phone: reads the resolution and confirms
    phone_page.goto(f"{live_server.url}/my/complaints/")
    expect(phone_page.get_by_test_id("complaint-status")).to_have_text("待客户确认")
    phone_page.get_by_role("link", name="查看详情").click()
    expect(phone_page.get_by_test_id("resolution")).to_contain_text("已于今日退还")
    phone_page.screenshot(path=str(SHOTS / "phone_resolution.png"), full_page=True)
    phone_page.get_by_test_id("confirm").click()
    expect(phone_page.get_by_test_id("complaint-status")).to_have_text("已办结")
    assert not LEAKS.search(phone_page.inner_text("main"))
    phone_page.screenshot(path=str(SHOTS / "phone_closed.png"), full_page=True)
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.customer_confirmed_at is not None
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["received", "acknowledged", "resolved", "confirmed"]

    # the survey the closing invited, answered on the phone through its signed link (no login)
    invitation = SurveyInvitation.objects.get(complaint=complaint)
    phone_page.context.clear_cookies()
    phone_page.goto(f"{live_server.url}{survey_link(invitation)}")
    phone_page.get_by_label("非常满意").check()
    phone_page.screenshot(path=str(SHOTS / "phone_survey.png"), full_page=True)
    phone_page.get_by_role("button", name="提交评价").click()
    expect(phone_page.get_by_test_id("survey-done")).to_contain_text("5")
    invitation.refresh_from_db()
    assert invitation.score == 5

    # the month's report on the desktop
    page.goto(f"{live_server.url}/servicing/complaints/report/")
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.get_by_test_id("survey-avg")).to_have_text("5.00")
    page.screenshot(path=str(SHOTS / "desktop_report.png"), full_page=True)
    assert not LEAKS.search(page.inner_text("main"))
