"""The provision report in a real browser: a finance operator (desktop 1366×900) opens 减值准备
from the navigation, computes the month from the last closed night, reads the stage matrix,
the chart, the roll-forward and the ratios, and submits the posting; a finance approver (phone
390×844) approves it from the same page. Screenshots under test-output/provisions/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.provisions import ProvisionRun
from servicing.selectors.ledger import account_balance
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/provisions")
# a code or an English word where a Chinese reader looks
LEAKS = re.compile(r"\b(stage|computed|posted|history|fallback|substandard|None|new_loans)\b")


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


def test_operator_computes_and_submits_approver_posts_from_the_phone(
    live_server, browser, policy, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.EOD_AUTO_DEBIT_SEND = False
    # a book: one loan that will be 95 DPD, one funded later and performing
    make_loan(value_date=dt.date(2025, 12, 15))
    make_loan(value_date=dt.date(2026, 4, 1), amount="80000.00")
    set_day(dt.date(2026, 2, 18))
    batch_run_sync(business_date=dt.date(2026, 2, 18))
    policy("four_eyes.provision_post", "false")
    feb = provision_run_compute(as_of=dt.date(2026, 2, 18), actor="test")
    provision_run_post(run_id=feb.pk, actor="test")  # February posted: April migrates from it
    policy("four_eyes.provision_post", "true")
    set_day(dt.date(2026, 4, 19))
    assert batch_run_sync(business_date=dt.date(2026, 4, 19)).status == "succeeded"
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])

    ctx, page = _login(browser, live_server, maker, {"width": 1366, "height": 900})
    page.locator("#main-nav").get_by_role("link", name="减值准备").click()
    expect(page.locator("h1")).to_have_text("减值准备（预期信用损失）")
    page.get_by_test_id("compute").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已计算，待过账")
    matrix = page.get_by_test_id("matrix")
    expect(matrix).to_contain_text("阶段二")
    expect(matrix.locator("tr", has_text="新增贷款")).to_be_visible()
    expect(page.locator(".ecl-chart figcaption")).to_have_text("各阶段贷款本次去向（笔数占比）")
    expect(page.locator(".ecl-seg.ecl-to-3")).to_have_count(1)  # the stage-2 loan went to 3
    expect(page.get_by_test_id("rollforward").locator("[data-key=difference]")).to_have_text(
        "¥0.00"
    )
    expect(page.get_by_test_id("npl-ratio")).to_have_text("60.00%")  # 120,000 of 200,000
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "01-operator-computed.png"), full_page=True)
    page.get_by_test_id("post").click()
    expect(page.get_by_test_id("pending")).to_be_visible()
    expect(page.get_by_test_id("post")).to_have_count(0)  # the maker cannot approve
    page.screenshot(path=str(SHOTS / "02-operator-submitted.png"), full_page=True)
    ctx.close()

    run = ProvisionRun.objects.get(month=dt.date(2026, 4, 1))
    assert run.status == "computed" and account_balance(account_code="loan_loss_allowance") == (
        feb.ecl
    )
    ctx, page = _login(browser, live_server, checker, {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/servicing/provisions/{run.pk}/")
    page.get_by_test_id("post").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已过账")
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "03-approver-posted-phone.png"), full_page=True)
    ctx.close()
    run.refresh_from_db()
    assert run.status == "posted"
    assert account_balance(account_code="loan_loss_allowance") == run.ecl
