"""The servicing agent in a real browser (desktop 1366×900), by clicking only after the login
page: searches the loan, opens it, records a customer's bank transfer by hand (maker); above the
day's threshold it waits for review, and a second agent (checker) approves it from the loan page.
A screenshot per step under test-output/roles/agent-NN-<step>.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models.repayments import Repayment
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/roles")


def _desk(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _shot(page, n: int, step: str) -> None:
    page.screenshot(path=str(SHOTS / f"agent-{n:02d}-{step}.png"), full_page=True)


def _open_loan(page, ref: str) -> None:
    page.locator("#main-nav").get_by_role("link", name="贷款账户").click()
    page.get_by_role("searchbox").fill(ref)
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=ref).click()
    expect(page.locator("h1")).to_contain_text(ref)


def test_agent_finds_a_loan_posts_a_transfer_and_a_second_agent_approves_it(
    live_server, browser, policy
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    policy("servicing.manual_repayment_approval_threshold", "5000")
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    maker = UserFactory(roles=[Role.SERVICING_AGENT])
    checker = UserFactory(roles=[Role.SERVICING_AGENT])

    ctx, page = _desk(browser, live_server, maker)
    _shot(page, 1, "landing")
    page.locator("#main-nav").get_by_role("link", name="贷款账户").click()
    _shot(page, 2, "search")
    page.get_by_role("searchbox").fill(loan.contract_ref)
    page.get_by_role("button", name="搜索").click()
    found = page.locator("table.data tbody tr", has_text=loan.contract_ref)
    expect(found).to_contain_text("¥120,000.00")
    expect(found).to_contain_text("正常")
    _shot(page, 3, "found")
    page.get_by_role("link", name=loan.contract_ref).click()
    expect(page.locator("h1")).to_contain_text(loan.contract_ref)
    expect(page.get_by_test_id("loan-status")).to_have_text("正常")
    # the status history and the journal show words, not codes
    expect(page.locator("section", has_text="状态变更")).to_contain_text("— → 正常")
    expect(page.locator("section", has_text="会计分录").locator("tbody td").nth(2)).to_have_text(
        "放款"
    )
    _shot(page, 4, "detail")
    page.fill("input[name=amount]", "10377.97")
    page.fill("[name=evidence]", "工行转账 8899")
    page.get_by_role("button", name="提交入账").click()
    expect(page.get_by_text("当日人工入账合计达到复核限额，已提交复核。")).to_be_visible()
    record = page.locator("section", has_text="还款记录").locator("tbody tr").first
    expect(record).to_contain_text("¥10,377.97")
    expect(record).to_contain_text("待复核")
    expect(record.get_by_role("button", name="复核通过")).to_have_count(0)  # not her own
    _shot(page, 5, "submitted")
    [repayment] = Repayment.objects.filter(loan=loan)
    assert repayment.status == "pending_approval" and repayment.amount == D("10377.97")
    ctx.close()

    ctx, page = _desk(browser, live_server, checker)
    _open_loan(page, loan.contract_ref)
    _shot(page, 6, "checker-detail")
    page.get_by_role("button", name="复核通过").click()
    expect(page.get_by_text("复核通过，还款已入账。")).to_be_visible()
    record = page.locator("section", has_text="还款记录").locator("tbody tr").first
    expect(record).to_contain_text("已入账")
    expect(record).to_contain_text(f"{maker} / {checker}")
    schedule = page.locator("section", has_text="还款计划").locator("tbody tr").first
    expect(schedule).to_contain_text("已还清")
    _shot(page, 7, "approved")
    repayment.refresh_from_db()
    assert repayment.status == "posted"
    ctx.close()
