"""The compliance officer (合规专员) in a real browser, by clicking only after the login page:
the queue's two tabs, a screening hit explained and cleared as a false positive, an AML alert
investigated, confirmed and its report file downloaded; desktop 1366×900 and phone 390×844.
Screenshots under test-output/compliance/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from risk.models import ScreeningHit
from risk.services import screening_run
from risk.services.watch_list import SANDBOX_FILE, SANDBOX_SOURCE, watch_list_load
from servicing.models.aml import AmlAlert
from servicing.services.aml.monitoring import aml_monitor_day
from servicing.services.repayments.manual import repayment_manual_approve, repayment_manual_submit
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/compliance")
MONDAY = dt.date(2026, 2, 16)


def _cases():
    """A sanctions hit (the sandbox list's pinyin entry) and a large-value cash alert."""
    watch_list_load(path=SANDBOX_FILE, source=SANDBOX_SOURCE, actor="test")
    screening_run(subject_ref="APP-2026-0007", name="欧阳子珊", id_hash="",
                  birth_date=dt.date(1975, 3, 8))  # fmt: skip
    loan = make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone="13700088001"))
    set_day(MONDAY)
    maker = UserFactory(roles=[Role.SERVICING_AGENT])
    checker = UserFactory(roles=[Role.SERVICING_AGENT])
    r = repayment_manual_submit(loan_id=loan.pk, amount="60000.00", evidence="柜台现金",
                                actor=maker, payment_channel="cash")  # fmt: skip
    repayment_manual_approve(repayment_id=r.pk, actor=checker)
    aml_monitor_day(business_date=MONDAY)
    return loan


def _login(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_compliance_officer_clears_a_hit_and_reports_a_large_value_alert(
    live_server, browser, phone_page
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    loan = _cases()
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER], display_name="合规专员 郑洁")
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    _login(page, live_server, officer)
    page.locator("#main-nav").get_by_role("link", name="合规").click()
    expect(page.locator("h1")).to_have_text("合规队列")
    expect(page.get_by_test_id("tab-hits")).to_have_text("名单命中（1）")
    expect(page.get_by_test_id("tab-alerts")).to_have_text("反洗钱预警（1）")
    row = page.get_by_test_id("hits").locator("tbody tr").first
    expect(row).to_contain_text("欧阳子珊")
    expect(row).to_contain_text("制裁名单")
    expect(row).to_contain_text("100 / 85")
    page.screenshot(path=str(SHOTS / "01-queue-hits.png"), full_page=True)

    row.get_by_role("link", name="处理").click()
    expect(page.locator("h1")).to_contain_text("欧阳子珊")
    explanation = page.get_by_test_id("explanation")
    expect(explanation).to_contain_text("拼音为常见拼写变体")
    expect(explanation).to_contain_text("出生日期一致")
    expect(explanation).to_contain_text("ouyang zhishan")
    page.screenshot(path=str(SHOTS / "02-hit-case.png"), full_page=True)
    page.fill("textarea[name=reason]", "证件号码与出生地均不符，系同音不同人")
    page.get_by_role("button", name="排除（误报，允许放款）").click()
    expect(page.get_by_text("已保存处理结论。")).to_be_visible()
    expect(page.get_by_test_id("hit-status")).to_have_text("已排除（误报）")
    expect(page.get_by_test_id("decision")).to_contain_text("证件号码与出生地均不符")
    assert ScreeningHit.objects.get().status == "cleared"
    page.screenshot(path=str(SHOTS / "03-hit-cleared.png"), full_page=True)

    page.get_by_role("link", name="‹ 合规队列").click()
    page.get_by_test_id("tab-alerts").click()
    alert_row = page.get_by_test_id("alerts").locator("tbody tr").first
    expect(alert_row).to_contain_text("大额现金交易")
    expect(alert_row).to_contain_text(loan.contract_ref)
    expect(alert_row).to_contain_text("¥60,000.00")
    expect(alert_row).to_contain_text("2026-02-28")  # after 春节 and the worked Saturday
    alert_row.get_by_role("link", name="处理").click()
    expect(page.get_by_test_id("explained")).to_contain_text("达到大额交易标准 ¥50,000.00")
    page.get_by_role("button", name="开始调查").click()
    expect(page.get_by_test_id("alert-status")).to_have_text("调查中")
    page.fill("textarea[name=decision_text]", "已核实现金缴存，按规定报送大额交易报告")
    page.get_by_role("button", name="确认并报告").click()
    expect(page.get_by_test_id("alert-status")).to_have_text("已确认")
    page.screenshot(path=str(SHOTS / "04-alert-confirmed.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("report-link").click()
    alert = AmlAlert.objects.get()
    assert download.value.suggested_filename == f"BH-AML-{alert.pk}-20260216.csv"
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("报告类型,报告编号,报告机构,预警类型")
    assert "BH" in content.splitlines()[1] and "60000.00" in content
    context.close()

    _login(phone_page, live_server, officer)
    phone_page.goto(f"{live_server.url}/compliance/?tab=alerts&all=1")
    expect(phone_page.get_by_test_id("alerts")).to_contain_text("大额现金交易")
    phone_page.screenshot(path=str(SHOTS / "05-phone-queue.png"), full_page=True)
    phone_page.goto(f"{live_server.url}/compliance/alerts/{alert.pk}/")
    expect(phone_page.get_by_test_id("report-link")).to_be_visible()
    phone_page.screenshot(path=str(SHOTS / "06-phone-alert.png"), full_page=True)


def test_other_roles_are_refused_the_compliance_pages(client, db):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)
    assert client.get("/compliance/").status_code == 403
    assert client.get("/compliance/alerts/1/report.csv").status_code == 403
