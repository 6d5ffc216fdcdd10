"""Issue #16, "Done when": the direct customer's whole journey on a phone (390×844), by clicking
only from the home page: 申请贷款 → sign-up by SMS code → the five application steps → submit →
the decision appears on the open page (polling) → 待办 → read and sign the contract with the SMS
code → 我的贷款 → 立即还款 → the sandbox cashier → paid.

The other people's steps in between run through the apps' services, in this process: the
decision worker (risk approves a clean direct application and issues the contract), finance's
checklist, maker and checker, and the sandbox bank's send and callback. The car seller the
customer names is onboarded as a dealer first, so its part of the loan can be paid.
A screenshot per step under test-output/j-final/customer/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.tasks.decisions import application_decide
from servicing.gateway.sandbox_bank import sandbox_bank_close_connections
from servicing.models.loans import Loan
from servicing.selectors.ledger import trial_balance
from tests.journey_support import (
    INSURER,
    SELLER_NAME,
    TAX,
    contract_fund,
    dealer_make,
    journey_settings,
    last_code,
    world_make,
)
from tests.origination.intake_support import primary_data
from tests.origination.test_intake_browser import fill_vehicle, upload_documents

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path("test-output/j-final/customer")
PHONE = "13911116600"
CODE_RE = re.compile(r"\d{6}")


@pytest.fixture(autouse=True)
def _journey(settings, tmp_path, live_server):
    journey_settings(settings, tmp_path)
    settings.DISBURSEMENT_DISPATCH = "manual"  # the sends and callbacks run between page steps
    settings.SITE_URL = live_server.url
    yield
    sandbox_bank_close_connections()


def _shot(page, n: int, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{n:02d}-{step}.png"), full_page=True)


def _next(page, url_end: str) -> None:
    # the live quote posts when a field changes (on blur): a click that also blurs the last
    # field starts a quote that swallows the submit, so the field is left and the quote
    # awaited before the step is sent
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_load_state("networkidle")
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(re.compile(rf".*/{url_end}/$"), timeout=15000)


def _apply(page) -> None:
    """The five steps, as the customer fills them on the phone."""
    fill_vehicle(page)
    expect(page.get_by_test_id("monthly-payment")).to_be_visible()  # the live quote
    _shot(page, 4, "apply-vehicle")
    _next(page, "applicant")
    data = primary_data(mobile=PHONE)
    page.fill("input[name=name]", data["name"])
    page.fill("input[name=id_number]", data["id_number"])
    page.fill("input[name=mobile]", PHONE)
    page.fill("input[name=address]", data["address"])
    page.fill("input[name=monthly_income]", "25000")
    _shot(page, 5, "apply-applicant")
    _next(page, "items")
    page.fill("input[name=car_payee_name]", SELLER_NAME)
    page.fill("input[name=insurance_amount]", "6000")
    page.fill("input[name=insurance_payee_name]", INSURER)
    page.fill("input[name=purchase_tax_amount]", "17699.12")
    page.fill("input[name=purchase_tax_payee_name]", TAX)
    _shot(page, 6, "apply-items")
    _next(page, "documents")
    upload_documents(page)
    _shot(page, 7, "apply-documents")
    page.get_by_text("下一步").click()
    expect(page).to_have_url(re.compile(r".*/consents/$"))
    for kind in ("credit_bureau", "sensitive_info", "automated_decision"):
        page.check(f"input[name={kind}]")
    _shot(page, 8, "apply-consents")
    _next(page, "review")
    expect(page.locator(".steplist li.done")).to_have_count(5)
    _shot(page, 9, "apply-review")


def test_customer_from_the_home_page_to_a_signed_contract_and_a_first_payment(
    phone_page, live_server, settings
):
    cast, _products = world_make()
    dealer_make(cast, name=SELLER_NAME, serial=4102, account="6222021001000456")
    page = phone_page

    # --- the start page, then 申请贷款 and the sign-up by SMS code --------------------------
    page.goto(f"{live_server.url}/")
    _shot(page, 1, "home")
    page.click("#apply-entry")
    page.fill("input[name=phone]", PHONE)
    page.click("button[value=send_code]")
    expect(page.locator("input[name=code]")).to_be_visible()
    sms = OutboundMessage.objects.filter(to=PHONE, purpose="sms_code_signup")
    expect(page.get_by_text("验证码已发送")).to_be_visible()
    _shot(page, 2, "signup-code-sent")
    page.fill("input[name=code]", CODE_RE.search(sms.latest("id").body).group(0))
    page.fill("input[name=display_name]", "王小明")
    page.fill("input[name=password]", "Car-Loan-2026!")
    _shot(page, 3, "signup-filled")
    page.click("button[value=signup]")
    expect(page).to_have_url(f"{live_server.url}/apply/")

    # --- the application, submitted once ----------------------------------------------------
    _apply(page)
    page.click("#submit-form button")
    expect(page).to_have_url(re.compile(r".*/my/applications/AP\w+/$"))
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    expect(page.get_by_test_id("polling")).to_be_visible()
    _shot(page, 10, "submitted")
    app = Application.objects.get()
    assert (app.status, app.channel, app.amount_financed) == (
        "submitted", "direct", Decimal("163699.12"),
    )  # fmt: skip

    # --- the decision worker (the real task; its contract issue runs inline) ----------------
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert application_decide(app.pk) == "approved"
    contract = Contract.objects.get(application=app)
    expect(page.get_by_test_id("status")).to_have_text("已批准", timeout=20000)  # no reload
    expect(page.get_by_test_id("polling")).to_have_count(0)
    todo = page.get_by_test_id("todo")
    expect(todo).to_contain_text(contract.contract_ref)
    expect(page.get_by_test_id("approved-terms").get_by_test_id("terms-instalment")).to_have_text(
        "¥4,832.32"
    )
    _shot(page, 11, "approved")

    # --- 待办 → read the contract in the page → agree → SMS code → sign -----------------------
    todo.get_by_role("link", name="签署合同").click()
    expect(page.locator("#key-facts").get_by_test_id("fact-amount")).to_have_text("¥163,699.12")
    agree = page.locator("input[name=agree]")
    expect(agree).to_be_disabled()
    _shot(page, 12, "sign-unread")
    page.locator("#contract-text").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(agree).to_be_enabled()
    agree.check()
    page.click("#send-code")
    expect(page.get_by_text("验证码已发送至")).to_be_visible()
    page.fill("input[name=code]", last_code(PHONE, "sms_code_contract_sign"))
    _shot(page, 13, "sign-code")
    page.click("#sign")
    expect(page.locator("#signed")).to_be_visible()
    expect(page.locator("#contract-status")).to_contain_text("已签署")
    _shot(page, 14, "signed")
    contract.refresh_from_db()
    assert contract.status == "signed"

    # --- finance and the bank (services) ----------------------------------------------------
    contract_fund(contract, cast)
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert Application.objects.get(pk=app.pk).status == "funded"

    # --- 我的贷款 → 查看与还款 → 立即还款 → 收银台 → paid ---------------------------------------
    page.click("[data-nav-toggle]")  # the phone's menu
    page.locator("#main-nav").get_by_role("link", name="我的贷款").click()
    card = page.get_by_test_id("loan-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(contract.contract_ref)
    expect(card.get_by_test_id("next-due-amount")).to_have_text("¥4,832.32")
    _shot(page, 15, "my-loans")
    card.get_by_role("link", name="查看与还款").click()
    expect(page.get_by_role("link", name="下载已签合同")).to_be_visible()
    page.get_by_label("还款金额（元）").fill("4832.32")
    _shot(page, 16, "loan-pay")
    page.get_by_test_id("pay-now").click()
    expect(page.get_by_test_id("pay-amount")).to_have_text("¥4,832.32")  # the cashier
    _shot(page, 17, "cashier")
    page.get_by_test_id("confirm-pay").click()
    expect(page.get_by_text("支付成功：¥4,832.32 已入账。")).to_be_visible()
    expect(page.get_by_text("¥4,832.32 ·")).to_be_visible()  # under 最近还款
    _shot(page, 18, "paid")
    paid = loan.repayments.get()
    assert (paid.amount, paid.source, loan.customer_id) == (
        Decimal("4832.32"), "online", app.customer_id,
    )  # fmt: skip
    assert trial_balance().total == 0
    # nothing internal reached the customer's messages
    for body in OutboundMessage.objects.filter(to=PHONE).values_list("body", flat=True):
        assert not re.search(r"\b[A-Z]\d{2}_[A-Z_]+\b", body), body
