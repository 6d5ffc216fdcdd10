"""Issue #16, "Done when": the dealer salesperson's whole journey, by clicking only after signing
in: 经销商门户 (their pipeline) → 新建申请 → the application's steps → 发送确认短信给客户 →
(the customer confirms with the SMS code) → submit → the pipeline shows it 审核中 while an
underwriter looks at it → … → the pipeline shows it 已放款.

The other people's steps run through the apps' services, in this process: the customer's
confirmation by the SMS link and code, the decision worker (a grade-D dealer: referred), the
underwriter's approval, the customer's signature, finance's checklist, maker and checker, and
the sandbox bank's send and callback. A screenshot per step under test-output/j-final/dealer/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.services.applications.confirmation import (
    application_confirm_code_send,
    application_customer_confirm,
)
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim
from origination.tasks.decisions import application_decide
from servicing.gateway.sandbox_bank import sandbox_bank_close_connections
from servicing.models.loans import Loan
from tests.factories import PASSWORD
from tests.journey_support import (
    CONSENTS,
    INSURER,
    TAX,
    contract_fund,
    customer_signup_by_sms,
    dealer_make,
    journey_settings,
    last_code,
    salesperson_make,
    world_make,
)
from tests.origination.intake_support import primary_data
from tests.origination.test_intake_browser import fill_vehicle, upload_documents

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path("test-output/j-final/dealer")
MOBILE = "13911117700"


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


def _customer_confirms() -> None:
    """The customer opens the SMS link, asks for the code and confirms with it (services)."""
    sms = OutboundMessage.objects.filter(to=MOBILE, purpose="application_confirm").latest("id")
    token = re.search(r"/apply/confirm/([^/]+)/", sms.body).group(1)
    application_confirm_code_send(token=token)
    code = last_code(MOBILE, "sms_code_app_confirm")
    application_customer_confirm(token=token, kinds=CONSENTS, code=code, ip="203.0.113.9")


def _pipeline(page):
    page.click(".subnav a:has-text('进件')")
    expect(page).to_have_url(re.compile(r".*/dealer/pipeline/$"))
    return page.get_by_test_id("pipeline")


def test_dealer_salesperson_from_a_new_application_to_funded(page, live_server, browser_login):
    cast, _products = world_make()
    dealer = dealer_make(cast, grade_d=True)
    sales = salesperson_make(cast, dealer)
    customer = customer_signup_by_sms(phone=MOBILE, name="王小明")

    # --- the start: sign in, 经销商门户 lands on the pipeline, 新建申请 ----------------------
    browser_login(page, sales.username, PASSWORD)
    _shot(page, 1, "home")
    page.click("a.card:has-text('经销商门户')")
    expect(page.get_by_test_id("todos")).to_contain_text("我的待办")
    _shot(page, 2, "pipeline-empty")
    page.click("[data-testid=new-application]")
    page.fill("input[name=customer_name]", "王小明")
    page.fill("input[name=customer_mobile]", MOBILE)
    fill_vehicle(page)
    expect(page.get_by_test_id("monthly-payment")).to_be_visible()  # the live quote
    _shot(page, 3, "new")
    _next(page, "applicant")
    expect(page.locator("input[name=name]")).to_have_value("王小明")
    data = primary_data(mobile=MOBILE)
    page.fill("input[name=id_number]", data["id_number"])
    page.fill("input[name=address]", data["address"])
    page.fill("input[name=monthly_income]", "25000")
    _shot(page, 4, "applicant")
    _next(page, "items")
    page.fill("input[name=insurance_amount]", "6000")
    page.fill("input[name=insurance_payee_name]", INSURER)
    page.fill("input[name=purchase_tax_amount]", "17699.12")
    page.fill("input[name=purchase_tax_payee_name]", TAX)
    _shot(page, 5, "items")
    _next(page, "documents")
    upload_documents(page)
    _shot(page, 6, "documents")
    page.get_by_text("下一步").click()
    expect(page).to_have_url(re.compile(r".*/consents/$"))
    page.get_by_text("发送确认短信给客户").click()
    expect(page.get_by_text("客户已确认")).to_have_count(0)
    _shot(page, 7, "confirmation-sent")

    # --- the customer confirms with the SMS code; the salesperson submits --------------------
    _customer_confirms()
    page.reload()  # the salesperson refreshes the step they are on
    expect(page.get_by_text("客户已确认")).to_be_visible()
    _shot(page, 8, "customer-confirmed")
    page.get_by_role("link", name="下一步").click()
    expect(page).to_have_url(re.compile(r".*/review/$"))
    _shot(page, 9, "review")
    page.click("#submit-form button")
    expect(page).to_have_url(re.compile(r".*/dealer/applications/AP\w+/$"))
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    _shot(page, 10, "submitted")
    app = Application.objects.get()
    assert (app.status, app.channel, app.dealer_id, app.salesperson_id) == (
        "submitted", "dealer", dealer.pk, sales.pk,
    )  # fmt: skip
    assert app.amount_financed == Decimal("163699.12")

    # --- the decision worker refers it (grade-D dealer): the pipeline says 审核中, no code -----
    assert application_decide(app.pk) == "referred"
    row = _pipeline(page).locator(f"[data-status] :text('{app.reference}')")
    expect(row).to_have_count(1)
    expect(page.get_by_test_id("pipeline")).to_contain_text("审核中")
    assert "R02" not in page.content() and "DEALER_GRADE" not in page.content()
    _shot(page, 11, "pipeline-under-review")

    # --- underwriter approves, the customer signs, finance funds, the bank pays (services) ----
    case_claim(application_id=app.pk, actor=cast.underwriter)
    underwriting_approve(application_id=app.pk, actor=cast.underwriter, note="渠道评级已核实")
    contract = Contract.objects.get(application=app)
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    code = last_code(MOBILE, "sms_code_contract_sign")
    contract_sign(contract_id=contract.pk, actor=customer, code=code, ip_address="203.0.113.7")
    contract_fund(contract, cast)
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert (loan.dealer_id, loan.customer_id) == (dealer.pk, customer.pk)

    # --- the pipeline shows it funded; its page says 已放款 ---------------------------------
    funded = _pipeline(page).locator("[data-status=funded]")
    expect(funded).to_contain_text(app.reference)
    _shot(page, 12, "pipeline-funded")
    funded.get_by_role("link", name=app.reference).click()
    expect(page.get_by_test_id("status")).to_have_text("已放款")
    _shot(page, 13, "funded")
    for body in OutboundMessage.objects.filter(to=MOBILE).values_list("body", flat=True):
        assert not re.search(r"\b[A-Z]\d{2}_[A-Z_]+\b", body), body
