"""The seams' pages on a desktop and a phone (390×844): finance pays a customer's renewal premium
on to the insurer (maker prepares, another person releases), and a customer starts a car
application from a next-car offer. Screenshots under test-output/integrate/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.business_date import business_date_set
from autofin.roles import Role
from origination.models.applications import Application
from origination.services.contracts.pricing import lender_name
from servicing.adapters import SandboxPaymentProvider
from servicing.models import Offer
from servicing.models.insurance import InsurerRemittance, RenewalQuote
from servicing.models.leases import InsurancePolicy
from servicing.services.insurance.renewals import renewal_paying, renewal_quotes_fetch
from servicing.services.repayments.online import payment_order_create
from tests.factories import PASSWORD, UserFactory
from tests.servicing.disbursement_support import register_payee
from tests.servicing.loan_factory import loan_through_funding
from tests.servicing.loan_helpers import set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/integrate")
DAY = dt.date(2026, 2, 1)
PINGAN = "平安产险（沙箱）"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _page(browser, live_server, user, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_finance_pays_the_premium_on_to_the_insurer(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR], display_name="经办甲")
    checker = UserFactory(roles=[Role.FINANCE_APPROVER], display_name="复核乙")
    register_payee(maker, checker, payee_type="insurer", name=PINGAN, account="6222021002000555")
    loan = loan_through_funding()
    set_day(DAY)
    old = InsurancePolicy.objects.create(
        loan=loan, vin="LSVAU2180N2000001", insurer_name="人保财险（沙箱）",
        policy_number="PDAA2025009", premium=Decimal("5200.00"), starts_on=dt.date(2025, 2, 21),
        ends_on=dt.date(2026, 2, 20), beneficiary_name=lender_name(), lender_is_beneficiary=True,
    )  # fmt: skip
    renewal_quotes_fetch(business_date=DAY)
    quote = RenewalQuote.objects.get(policy=old, insurer_name=PINGAN)
    order, _url = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount=quote.premium,
                                       purpose="ins_premium", idempotency_key="ins-b-1")  # fmt: skip
    renewal_paying(quote=quote, order=order)
    SandboxPaymentProvider().pay(provider_ref=order.provider_ref, amount=order.amount)

    context, page = _page(browser, live_server, maker, DESKTOP)
    page.goto(f"{live_server.url}/servicing/insurance/remittances/")
    expect(page.get_by_test_id("remittance-awaiting")).to_contain_text("5,044.00")
    page.get_by_test_id("remittance-prepare").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("remittances")).to_contain_text("待复核")
    page.screenshot(path=str(SHOTS / "desktop-remittance-prepared.png"), full_page=True)
    context.close()

    context, page = _page(browser, live_server, checker, PHONE)
    page.goto(f"{live_server.url}/servicing/insurance/remittances/")
    page.screenshot(path=str(SHOTS / "phone-remittance-to-release.png"), full_page=True)
    page.get_by_test_id("remittance-release").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("remittances")).to_contain_text("已放行")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    context.close()
    assert InsurerRemittance.objects.get(quote=quote).status == "released"


def test_a_customer_starts_a_car_application_from_a_next_car_offer_on_a_phone(live_server, browser):
    from origination.seed.applications import intake_products_ensure

    SHOTS.mkdir(parents=True, exist_ok=True)
    today = dt.date(2026, 3, 2)
    business_date_set(actor="test", date=today, reason="offers")
    intake_products_ensure(actor="test")
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13788884001")
    offer = Offer.objects.create(
        customer=customer, kind="next_car", limit_amount=Decimal("150000.00"),
        annual_rate=Decimal("0.055000"), max_term_months=60,
        expires_on=today + dt.timedelta(days=30),
        decision={"kind": "next_car", "approved": True, "version": "preapproval-1"},
    )  # fmt: skip
    context, page = _page(browser, live_server, customer, PHONE)
    page.goto(f"{live_server.url}/my/offers/")
    page.get_by_test_id("offer-accept").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/my/offers/{offer.pk}/apply/")
    page.screenshot(path=str(SHOTS / "phone-offer-apply.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    context.close()
    assert not Application.objects.filter(customer=customer).exists()
