"""A customer renews their car's insurance on a phone (390×844): 我的保险 → the quotes from
three insurers (with the no-tying notice) → chooses one → the sandbox cashier → paid → the
renewed policy listed. Finance then reads the month's commission on a desktop. Screenshots
under test-output/insurance/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from origination.services.contracts.pricing import lender_name
from servicing.models.insurance import InsuranceCommission
from servicing.models.leases import InsurancePolicy
from servicing.selectors.ledger import trial_balance
from servicing.services.insurance.renewals import renewal_quotes_fetch
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_factory import loan_through_funding
from tests.servicing.loan_helpers import set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/insurance")
DAY = dt.date(2026, 2, 1)


def _login(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_customer_chooses_a_renewal_quote_on_a_phone_and_pays(live_server, phone_page, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900007001")
    loan = loan_through_funding(customer=customer)
    set_day(DAY)
    old = InsurancePolicy.objects.create(
        loan=loan, vin="LSVAU2180N2000001", insurer_name="人保财险（沙箱）",
        policy_number="PDAA2025001", premium=Decimal("5200.00"), starts_on=dt.date(2025, 2, 21),
        ends_on=dt.date(2026, 2, 20), beneficiary_name=lender_name(), lender_is_beneficiary=True,
    )  # fmt: skip
    renewal_quotes_fetch(business_date=DAY)
    quote = old.renewal_quotes.get(insurer_name="平安产险（沙箱）")

    page = phone_page
    _login(page, live_server.url, customer)
    page.goto(f"{live_server.url}/my/insurance/")
    expect(page.get_by_test_id("no-tying")).to_be_visible()
    expect(page.get_by_test_id(f"quote-{quote.pk}")).to_contain_text("5,044.00")
    page.screenshot(path=str(SHOTS / "01-phone-quotes.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows the phone's width
    page.get_by_test_id(f"pay-{quote.pk}").click()
    expect(page.get_by_test_id("pay-amount")).to_contain_text("5,044.00")
    page.screenshot(path=str(SHOTS / "02-phone-cashier.png"), full_page=True)
    page.get_by_test_id("confirm-pay").click()
    page.wait_for_load_state("networkidle")
    new = InsurancePolicy.objects.get(renews=old)
    page.goto(f"{live_server.url}/my/insurance/")
    expect(page.get_by_test_id(f"renewed-{new.pk}")).to_contain_text(new.policy_number)
    page.screenshot(path=str(SHOTS / "03-phone-renewed.png"), full_page=True)
    assert InsuranceCommission.objects.get(policy=new).amount == Decimal("605.28")
    assert trial_balance().total == Decimal("0.00")

    desktop = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    fpage = desktop.new_page()
    fpage.set_default_timeout(15000)
    _login(fpage, live_server.url, UserFactory(roles=[Role.FINANCE_OPERATOR]))
    fpage.goto(f"{live_server.url}/servicing/insurance/commission/?month=2026-02")
    fpage.get_by_test_id("reconcile").first.click()
    expect(fpage.get_by_test_id("matched-total")).to_contain_text("605.28")
    fpage.screenshot(path=str(SHOTS / "04-desktop-commission.png"), full_page=True)
    desktop.close()


def test_quotes_and_the_agents_policy_pages_fit_a_desktop_and_a_phone(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900007002")
    loan = loan_through_funding(customer=customer)
    set_day(DAY)
    old = InsurancePolicy.objects.create(
        loan=loan, vin="LSVAU2180N2000001", insurer_name="人保财险（沙箱）",
        policy_number="PDAA2025002", premium=Decimal("5200.00"), starts_on=dt.date(2025, 2, 21),
        ends_on=dt.date(2026, 2, 20), beneficiary_name=lender_name(), lender_is_beneficiary=True,
    )  # fmt: skip
    renewal_quotes_fetch(business_date=DAY)
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    pages = [
        (customer, "/my/insurance/", "customer-quotes", f"quote-{old.renewal_quotes.first().pk}"),
        (agent, "/servicing/insurance/expiring/", "agent-expiring", "expiring"),
        (agent, f"/servicing/loans/{loan.pk}/insurance/", "agent-loan-policies", "loan-policies"),
    ]
    for size, viewport in (("desktop", {"width": 1366, "height": 900}),
                           ("phone", {"width": 390, "height": 844})):  # fmt: skip
        for user, path, name, testid in pages:
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(15000)
            _login(page, live_server.url, user)
            page.goto(f"{live_server.url}{path}")
            expect(page.get_by_test_id(testid)).to_be_visible()
            page.screenshot(path=str(SHOTS / f"{size}-{name}.png"), full_page=True)
            if size == "phone" and user == customer:
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
            context.close()
