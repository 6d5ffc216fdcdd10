"""Telematics pages in a real browser: a servicing agent (desktop 1366×900) reads a car's last
position and GPS events on the loan page and opens the early-warning queue from it; on the phone
(390×844) the agent closes an action with its outcome. Screenshots under test-output/telematics/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from autofin.roles import Role
from origination.services.applications.consents import application_consents_give
from servicing.eod.registry import StepContext
from servicing.eod.steps.telematics import telematics_chunk
from servicing.models.telematics import EarlyWarningAction
from servicing.telematics_adapters import SandboxGpsProvider
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/telematics")
DAY = dt.date(2026, 3, 10)
LEAKS = re.compile(
    r"\b(open|done|tamper|geofence_exit|gps_check|servicing_agent|GPS_OFFLINE|None)\b"
)


def _located(contract, _cast):
    application_consents_give(
        actor=contract.application.customer, application=contract.application, kinds=["location"]
    )


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


def test_agent_reads_the_cars_position_and_closes_a_warning_action_on_the_phone(
    live_server, browser
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    loan = make_loan(before_funding=_located)
    set_day(DAY)
    gps = SandboxGpsProvider()
    seen = timezone.make_aware(dt.datetime.combine(DAY - dt.timedelta(days=9), dt.time(10)))
    gps.push([
        gps.event(vin=loan.vin, lat="31.230416", lon="121.473701", place_name="上海市黄浦区",
                  occurred_at=seen),
        gps.event(vin=loan.vin, kind="tamper", occurred_at=seen + dt.timedelta(hours=2)),
    ])  # fmt: skip
    telematics_chunk(StepContext(business_date=DAY, batch_id=0, step_id=0), loan.pk, loan.pk)
    agent = UserFactory(roles=[Role.SERVICING_AGENT])

    ctx, page = _login(browser, live_server, agent, {"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/servicing/loans/{loan.pk}/")
    expect(page.get_by_test_id("gps-last")).to_have_text("31.230416, 121.473701")
    expect(page.get_by_test_id("gps-events")).to_contain_text("设备拆除或破坏")
    expect(page.get_by_test_id("loan-warning-actions")).to_contain_text("核查 GPS 设备与车辆位置")
    assert not LEAKS.search(page.get_by_test_id("telematics").inner_text())
    page.screenshot(path=str(SHOTS / "01-loan-page-desktop.png"), full_page=True)
    page.get_by_role("link", name="预警处置队列").click()
    expect(page.locator("h1")).to_have_text("预警处置队列")
    ctx.close()

    ctx, page = _login(browser, live_server, agent, {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/servicing/warning-actions/")
    table = page.get_by_test_id("warning-actions")
    expect(table).to_contain_text(loan.contract_ref)
    assert not LEAKS.search(page.locator("main").inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "02-queue-phone.png"), full_page=True)
    first = table.locator("tbody tr").first
    first.locator("input[name=outcome]").fill("已联系客户，设备已恢复上线")
    first.get_by_role("button", name="完成").click()
    expect(page.locator(".messages")).to_contain_text("措施已处理")
    page.screenshot(path=str(SHOTS / "03-queue-phone-closed.png"), full_page=True)
    ctx.close()
    closed = EarlyWarningAction.objects.get(status="done")
    assert (closed.closed_by, closed.outcome) == (agent, "已联系客户，设备已恢复上线")
