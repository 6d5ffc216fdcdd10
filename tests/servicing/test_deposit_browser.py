"""Dealer deposits in a real browser: finance records the deposit seen on the bank statement
and prepares a refund of the excess (desktop 1366×900); another person releases it; the dealer
admin (phone 390×844) sees required / held / due on the portal's overview. A screenshot per
step under test-output/deposits/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from dealers.services import staff_create
from servicing.models.deposits import DepositRefund
from servicing.services.deposits.calls import deposit_calls_raise
from tests.factories import UserFactory
from tests.servicing.test_commission_browser import DESKTOP, PHONE, _login

pytestmark = [pytest.mark.usefixtures("disbursement_settings"), pytest.mark.browser]
SHOTS = Path("test-output/deposits")


def test_finance_receives_and_refunds_and_the_dealer_sees_its_deposit(
    live_server, transactional_db, browser, dealer, today, maker, checker
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = UserFactory(username=f"dealer{dealer.pk}_admin", display_name="陈晓东")
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")
    deposit_calls_raise(as_of=today)

    ctx, page = _login(browser, live_server, maker, DESKTOP)
    page.goto(f"{live_server.url}/finance/deposits/")
    expect(page.locator("h1")).to_have_text("经销商保证金")
    page.select_option("#receipt-form select[name=dealer]", str(dealer.pk))
    page.fill("#receipt-form input[name=amount]", "250000.00")
    page.fill("#receipt-form input[name=bank_ref]", "CMB20260316000123")
    page.screenshot(path=str(SHOTS / "01-receipt.png"), full_page=True)
    page.click("#record-receipt")
    expect(page.get_by_test_id("deposit-positions")).to_contain_text("¥250,000.00")
    page.select_option("#refund-form select[name=dealer]", str(dealer.pk))
    page.fill("#refund-form input[name=amount]", "50000")
    page.fill("#refund-form input[name=reason]", "评级上调，多缴部分退还")
    page.click("#prepare-refund")
    refund = DepositRefund.objects.get()
    expect(page.get_by_test_id(f"release-{refund.pk}")).to_have_count(0)  # not the maker
    page.screenshot(path=str(SHOTS / "02-refund-prepared.png"), full_page=True)
    ctx.close()

    ctx, page = _login(browser, live_server, checker, DESKTOP)
    page.goto(f"{live_server.url}/finance/deposits/")
    page.check("label.check input[name=confirm]")
    page.screenshot(path=str(SHOTS / "03-checker.png"), full_page=True)
    page.get_by_test_id(f"release-{refund.pk}").click()
    expect(page.locator("table.data").last).to_contain_text("付款中")
    ctx.close()

    ctx, page = _login(browser, live_server, admin, PHONE)
    page.goto(f"{live_server.url}/dealer/")
    expect(page.get_by_test_id("deposit-held")).to_have_text("¥250,000.00")
    expect(page.get_by_test_id("deposit-due")).to_have_text("¥0.00")
    page.screenshot(path=str(SHOTS / "04-portal-phone.png"), full_page=True)
    ctx.close()
