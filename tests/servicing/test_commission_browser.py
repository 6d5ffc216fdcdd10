"""Commission payouts in a real browser, by clicking after the login page: the finance maker
records the dealer's invoice and prepares (desktop 1366×900); the checker sees the account and
the amount, confirms and releases; the bank answers; the dealer admin (phone 390×844) sees the
month's statement move from 待付 to 已付 with the pay date and the bank reference. A
screenshot per step under test-output/commissions/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dealers.models.commissions import CommissionStatement
from dealers.services import agreement_create, staff_create
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.commission_payouts import CommissionPayout
from tests.factories import PASSWORD, UserFactory
from tests.servicing.commission_support import accrue, month_end, on

pytestmark = [pytest.mark.usefixtures("disbursement_settings"), pytest.mark.browser]
SHOTS = Path("test-output/commissions")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _login(browser, live_server, user, viewport=DESKTOP):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _open_payout(page, number: str):
    page.locator("#main-nav").get_by_role("link", name="放款", exact=True).click()
    page.click("#nav-commission-payouts")
    expect(page.locator("h1")).to_have_text("返佣付款")
    page.screenshot(path=str(SHOTS / "00-payout-list.png"), full_page=True)
    page.get_by_test_id(f"payout-{number}").click()


def test_finance_releases_a_payout_and_the_dealer_sees_it_paid(
    live_server, transactional_db, browser, settings, dealer, maker, checker
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.DISBURSEMENT_DISPATCH = "eager"  # the release sends at once; the bank calls back later
    admin = UserFactory(username=f"dealer{dealer.pk}_admin", display_name="陈晓东")
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="percent",
        commission_rate="0.015",
        effective_from=dt.date(2026, 1, 1),
    )
    on(dt.date(2026, 1, 12))
    accrue(dealer, "200000.00", dt.date(2026, 1, 12))
    on(dt.date(2026, 2, 2))
    statement, payout = month_end(dealer, dt.date(2026, 1, 1))
    number = statement.number

    ctx, page = _login(browser, live_server, maker)
    _open_payout(page, number)
    expect(page.locator("#payout-status")).to_have_text("待发票")
    expect(page.get_by_test_id("payout-amount")).to_contain_text("3,000.00")
    page.fill("input[name=invoice_number]", "26312000000012345678")
    page.fill("input[name=invoice_tax]", "169.81")
    page.screenshot(path=str(SHOTS / "01-maker-invoice.png"), full_page=True)
    page.click("#record-invoice")
    expect(page.locator("#payout-status")).to_have_text("待经办")
    page.click("#prepare")
    expect(page.locator("#payout-status")).to_have_text("待复核")
    expect(page.locator("#approve")).to_have_count(0)  # the maker cannot release
    page.screenshot(path=str(SHOTS / "02-maker-prepared.png"), full_page=True)
    ctx.close()

    ctx, page = _login(browser, live_server, checker)
    _open_payout(page, number)
    expect(page.get_by_test_id("payout-account")).to_have_text(
        CommissionPayout.objects.get(pk=payout.pk).account_number_masked
    )
    expect(page.locator("label.check")).to_contain_text("3,000.00")
    page.screenshot(path=str(SHOTS / "03-checker-review.png"), full_page=True)
    page.check("#confirm-payout")
    page.click("#approve")
    expect(page.locator("#payout-status")).to_have_text("付款中")
    page.screenshot(path=str(SHOTS / "04-checker-released.png"), full_page=True)
    payout.refresh_from_db()
    assert (payout.approved_by_id, payout.bank_status) == (checker.pk, "sent")
    assert SandboxBank().callbacks_deliver(keys=[payout.idempotency_key]) == 1
    page.reload()
    expect(page.locator("#payout-status")).to_have_text("已付")
    page.screenshot(path=str(SHOTS / "05-checker-paid.png"), full_page=True)
    ctx.close()

    statement = CommissionStatement.objects.get(pk=statement.pk)
    assert statement.pay_status == "paid"
    ctx, page = _login(browser, live_server, admin, viewport=PHONE)
    page.goto(f"{live_server.url}/dealer/")
    page.get_by_role("link", name="返佣结算").first.click()
    expect(page.get_by_test_id("statement-status-2026-01")).to_have_text("已付")
    page.screenshot(path=str(SHOTS / "06-dealer-statements-phone.png"), full_page=True)
    page.get_by_role("link", name="2026-01").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已付")
    expect(page.get_by_test_id("statement-bank-ref")).to_have_text(statement.bank_ref)
    expect(page.get_by_test_id("pay-status").first).to_have_text("已付")
    page.screenshot(path=str(SHOTS / "07-dealer-statement-paid-phone.png"), full_page=True)
    ctx.close()
