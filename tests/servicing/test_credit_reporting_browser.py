"""The credit-reporting page in a real browser: an operations user (desktop 1366×900) opens 征信报送
from the navigation, reads the month's counts and the rejected record's reason, corrects the ID
number and resubmits; a compliance officer (phone 390×844) answers an agent's dispute on the
same page. Screenshots under test-output/credit_reporting/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.crypto import decrypt, encrypt
from autofin.roles import Role
from origination.models import Applicant
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.credit_reporting import CreditReportDispute, CreditReportRecord
from servicing.services.credit_reporting.adapters import SANDBOX_ID_UNKNOWN
from servicing.services.credit_reporting.disputes import dispute_open
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/credit_reporting")
# a code or an English word where a Chinese reader looks
LEAKS = re.compile(r"\b(monthly|opening|rejected|accepted|pending|held|open|upheld|None)\b")


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


def test_operations_corrects_a_rejected_record_compliance_answers_a_dispute_on_the_phone(
    live_server, browser, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.EOD_AUTO_DEBIT_SEND = False
    loan = make_loan(value_date=dt.date(2026, 1, 15))
    applicant = Applicant.objects.get(application_id=loan.application_id, role="primary")
    right_id = decrypt(applicant.id_number_enc)
    Applicant.objects.filter(pk=applicant.pk).update(id_number_enc=encrypt(SANDBOX_ID_UNKNOWN))
    set_day(dt.date(2026, 1, 31))
    assert batch_run_sync(business_date=dt.date(2026, 1, 31)).status == "succeeded"
    operator = UserFactory(roles=[Role.OPERATIONS])

    ctx, page = _login(browser, live_server, operator, {"width": 1366, "height": 900})
    page.locator("#main-nav").get_by_role("link", name="征信报送").click()
    expect(page.locator("h1")).to_have_text("征信报送")
    month = page.get_by_test_id("months").locator("tr[data-month='2026-01']")
    expect(month.get_by_test_id("rejected")).to_have_text("1")
    rejected = page.get_by_test_id("rejected-records")
    expect(rejected).to_contain_text("E201")
    expect(rejected).to_contain_text("公民身份信息核查不一致")
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "01-operations-rejected.png"), full_page=True)
    page.get_by_test_id("correct-id").fill(right_id)
    page.get_by_test_id("correct").click()
    expect(page.locator(".messages")).to_contain_text("接收 1 条")
    expect(month.get_by_test_id("accepted")).to_have_text("1")
    expect(page.get_by_test_id("rejected-records")).to_have_count(0)
    ctx.close()
    fix = CreditReportRecord.objects.get(loan=loan, corrects__isnull=False)
    assert fix.status == "accepted"

    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    dispute_open(record_id=fix.pk, actor=agent, description="客户称身份证号曾登记有误。")
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    ctx, page = _login(browser, live_server, officer, {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/servicing/credit-reporting/")
    disputes = page.get_by_test_id("disputes")
    expect(disputes).to_contain_text(loan.contract_ref)
    expect(disputes).to_contain_text("2026-02-21")  # raised 02-01, due in 20 days
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.get_by_test_id("outcome").select_option("upheld")
    page.get_by_test_id("answer").fill("经核实，已按正确证件号码报送，维持。")
    page.get_by_test_id("answer-submit").click()
    expect(page.locator(".messages")).to_contain_text("异议已答复")
    expect(disputes).to_contain_text("维持原报送")
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "02-compliance-answered-phone.png"), full_page=True)
    ctx.close()
    assert CreditReportDispute.objects.get(loan=loan).outcome == "upheld"
