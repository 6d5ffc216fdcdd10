"""The customer signs in a real browser: review the contract → SMS code → signed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim
from tests.factories import PASSWORD
from tests.origination.workbench_support import last_sms_code, make_referred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_reviews_and_signs_with_sms_code(
    real_pdf, phone_page, live_server, browser_login, products, underwriter
):
    app = make_referred(products=products)
    case_claim(application_id=app.pk, actor=underwriter)
    underwriting_approve(application_id=app.pk, actor=underwriter)
    contract = Contract.objects.get(application=app)
    customer = app.customer_user
    page = phone_page
    browser_login(page, customer.username, PASSWORD)

    page.goto(live_server.url + reverse("origination:contract_sign", args=[contract.contract_ref]))
    assert contract.contract_ref in page.content()
    pdf = page.request.get(live_server.url + page.locator("#contract-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"

    page.click("#read-done")  # 我已阅读, at the end of the contract in the page
    page.check("input[name=agree]")
    page.click("#send-code")
    page.wait_for_load_state("networkidle")
    code = last_sms_code(customer.phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    page.fill("input[name=code]", wrong)
    page.check("input[name=agree]")
    page.click("#sign")
    page.wait_for_load_state("networkidle")
    assert "验证码错误或已过期" in page.content()
    contract.refresh_from_db()
    assert contract.status == "issued"

    page.fill("input[name=code]", code)
    page.check("input[name=agree]")
    page.click("#sign")
    page.wait_for_selector("#signed")

    assert "已签署" in page.locator("#contract-status").inner_text()
    contract.refresh_from_db()
    assert contract.status == "signed"
    assert contract.signature.ip_address == "127.0.0.1"
    assert Application.objects.get(pk=app.pk).status == "contract_signed"
