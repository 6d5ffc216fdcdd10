"""Month-end close in a real browser: a finance operator (desktop 1366×900) opens 月末结账 from
the navigation, sees January's checklist fail with crosses and February's pass with ticks, and
submits February's close; a finance approver (phone 390×844) approves it, then posts a
correction to February that lands in March. Screenshots under test-output/periods/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalEntry
from servicing.models.periods import AccountingPeriod
from servicing.selectors.regulatory import REPORTS
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from servicing.services.regulatory import regulatory_report_generate
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/periods")
# a code or an English word where a Chinese reader looks
LEAKS = re.compile(
    r"\b(open|closing|closed|batch_days|reconciliation|provisions|trial_balance|regulatory_reports|None|True|False)\b"
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


def test_operator_submits_the_close_approver_closes_and_adjusts_from_the_phone(
    live_server, browser, policy, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.EOD_AUTO_DEBIT_SEND = False
    policy("four_eyes.provision_post", "false")
    make_loan(value_date=dt.date(2026, 1, 15))
    set_day(dt.date(2026, 2, 1))
    for day in range(1, 29):
        assert batch_run_sync(business_date=dt.date(2026, 2, day)).status == "succeeded"
    run = provision_run_compute(as_of=dt.date(2026, 2, 28), actor="test")
    provision_run_post(run_id=run.pk, actor="test")
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    for code in REPORTS:
        regulatory_report_generate(code=code, month=dt.date(2026, 2, 1), actor=maker)

    ctx, page = _login(browser, live_server, maker, {"width": 1366, "height": 900})
    page.locator("#main-nav").get_by_role("link", name="月末结账").click()
    expect(page.locator("h1")).to_have_text("月末结账")
    page.get_by_test_id("periods").locator("[data-month='2026-01']").click()
    checklist = page.get_by_test_id("checklist")
    expect(checklist.locator("[data-check=batch_days]")).to_have_attribute("data-passed", "no")
    expect(checklist.locator("[data-check=batch_days]")).to_contain_text("已日结 0 / 31 天")
    expect(page.get_by_test_id("close")).to_be_disabled()
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "01-january-fails.png"), full_page=True)

    page.get_by_test_id("periods").locator("[data-month='2026-02']").click()
    expect(checklist.locator("[data-passed=yes]")).to_have_count(6)
    expect(page.get_by_test_id("period-status")).to_have_text("未结账")
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("pending")).to_be_visible()
    expect(page.get_by_test_id("period-status")).to_have_text("结账待复核")
    expect(page.get_by_test_id("close")).to_have_count(0)  # the maker cannot approve
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "02-february-submitted.png"), full_page=True)
    ctx.close()
    assert AccountingPeriod.objects.get(month=dt.date(2026, 2, 1)).status == "closing"

    ctx, page = _login(browser, live_server, checker, {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/finance/periods/2026/2/")
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("period-status")).to_have_text("已结账")
    form = page.get_by_test_id("adjust-form")
    form.locator("select[name=debit_account]").select_option("bank_clearing")
    form.locator("select[name=credit_account]").select_option("fee_income")
    form.locator("input[name=amount]").fill("25.00")
    form.locator("input[name=reason]").fill("漏记手续费")
    page.get_by_test_id("adjust").click()
    expect(page.get_by_test_id("adjustments")).to_contain_text(
        "期后调整 2026-02（已结账期间）：漏记手续费"
    )
    expect(page.get_by_test_id("adjustments")).to_contain_text("2026-03-01")
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "03-closed-and-adjusted-phone.png"), full_page=True)
    ctx.close()
    assert AccountingPeriod.objects.get(month=dt.date(2026, 2, 1)).status == "closed"
    entry = JournalEntry.objects.get(source_type="adjustment", source_id="2026-02")
    assert entry.business_date == dt.date(2026, 3, 1)
