"""Both channels in a real browser (Playwright + Debian chromium): a customer signs up and
applies on a phone-sized viewport; a dealer salesperson applies for a customer, who confirms
by the SMS link; both submit (the customer double-clicks: one submission)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from origination.models.applications import Application, FinancedItem
from origination.services.signup import sms_code_in
from tests.factories import PASSWORD
from tests.origination.intake_support import PNG, payee_registered, primary_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DOCS = ["id_front", "id_back", "driving_licence", "income_proof", "invoice"]


def fill_vehicle(page, *, price="200000", down="60000"):
    page.select_option("select[name=product]", label="新车标准贷（新车）")
    page.select_option("select[name=vehicle_kind]", "new")
    page.fill("input[name=vehicle_brand]", "比亚迪")
    page.fill("input[name=vehicle_model]", "汉 EV")
    page.fill("input[name=vehicle_price]", price)
    page.fill("input[name=down_payment]", down)
    page.select_option("select[name=term_months]", "36")
    page.select_option("select[name=method]", "equal_instalment")


def fill_applicant(page):
    data = primary_data()
    page.fill("input[name=name]", data["name"])
    page.fill("input[name=id_number]", data["id_number"])
    page.fill("input[name=mobile]", data["mobile"])
    page.fill("input[name=address]", data["address"])
    page.fill("input[name=monthly_income]", "25000")
    page.click("form.form button[type=submit]")


def upload_documents(page):
    """One tap per document: each goes up in place (no reload) and shows at once."""
    for kind in DOCS:
        page.set_input_files(
            f"[data-testid=pick-{kind}]",
            files=[{"name": f"{kind}.png", "mimeType": "image/png", "buffer": PNG}],
        )
        page.wait_for_selector(f"[data-testid=document-{kind}] img")


def test_customer_signs_up_and_applies_on_a_phone(live_server, phone_page, products):
    page = phone_page
    base = live_server.url
    # sign-up from the home page's 申请贷款: phone -> SMS code -> name and password
    page.goto(f"{base}/")
    page.click("#apply-entry")
    page.fill("input[name=phone]", "13655556666")
    page.click("button[value=send_code]")
    page.wait_for_load_state("networkidle")
    body = OutboundMessage.objects.get(to="13655556666").body
    page.fill("input[name=code]", re.search(r"\d{6}", body).group(0))
    page.fill("input[name=display_name]", "王小明")
    page.fill("input[name=password]", "Car-Loan-2026!")
    page.click("button[value=signup]")
    page.wait_for_url(f"{base}/apply/")

    # step 1 with the live quote (HTMX), then an invalid down payment, then a valid one
    fill_vehicle(page, down="10000")
    page.locator("select[name=method]").dispatch_event("change")
    page.wait_for_selector("#quote .errors")
    assert "首付比例 5% 低于本产品 15% 的最低要求" in page.inner_text("#quote")
    page.click("form.form button[type=submit]")
    assert "首付比例 5% 低于本产品 15% 的最低要求" in page.inner_text("#err-down_payment")
    assert Application.objects.count() == 0
    page.fill("input[name=down_payment]", "60000")
    page.locator("input[name=down_payment]").dispatch_event("change")
    page.wait_for_selector("[data-testid=monthly-payment]")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/applicant/$"))

    fill_applicant(page)
    page.wait_for_url(re.compile(r".*/items/$"))
    payee_registered("insurer", "平安财险")  # intake names only registered payees
    page.fill("input[name=car_payee_name]", "上海某汽车销售有限公司")
    page.fill("input[name=insurance_amount]", "6000")
    # a typed insurer the register does not hold is refused at the step, named
    page.fill("input[name=insurance_payee_name]", "某某保险")
    page.click("form.form button[type=submit]")
    assert "“某某保险”不是已登记并核验的保险公司" in page.inner_text("#err-insurance_payee_name")
    assert FinancedItem.objects.count() == 0
    Path("test-output/payee").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="test-output/payee/01-items-refused.png", full_page=True)
    page.fill("input[name=insurance_payee_name]", "平安财险")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/documents/$"))
    upload_documents(page)
    assert page.locator(".docs img").count() == 5
    page.click("text=下一步")
    page.wait_for_url(re.compile(r".*/consents/$"))
    for kind in ("credit_bureau", "sensitive_info", "automated_decision"):
        page.check(f"input[name={kind}]")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/review/$"))
    # the progress indicator shows five steps done
    assert page.locator(".steplist li.done").count() == 5
    # a double click submits once
    page.dblclick("#submit-form button")
    page.wait_for_url(re.compile(r".*/my/applications/AP\w+/$"))
    assert page.inner_text("[data-testid=status]") == "已提交"
    assert "已提交" in page.inner_text("[data-testid=timeline]")
    app = Application.objects.get()
    assert app.status == "submitted" and app.channel == "direct"
    assert app.events.filter(to_status="submitted").count() == 1
    page.screenshot(path="/tmp/intake-phone-detail.png", full_page=True)


def test_dealer_salesperson_applies_and_customer_confirms_by_sms(
    live_server, page, browser_login, products, dealer, salesperson, settings
):
    base = live_server.url
    settings.SITE_URL = base  # the SMS carries an absolute link to this server
    browser_login(page, salesperson.username, PASSWORD)
    # by clicking only: 经销商门户 lands on the pipeline, then 新建申请
    page.click("a.card:has-text('经销商门户')")
    assert page.locator(".subnav a", has_text="进件").count() == 1
    page.click("[data-testid=new-application]")
    page.fill("input[name=customer_name]", "王小明")
    page.fill("input[name=customer_mobile]", "13812345678")
    fill_vehicle(page)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dealer/applications/AP\w+/applicant/$"))
    assert page.input_value("input[name=name]") == "王小明"
    fill_applicant(page)
    page.wait_for_url(re.compile(r".*/items/$"))
    page.fill("input[name=accessories_amount]", "5000")
    page.fill("input[name=accessories_payee_name]", dealer.legal_name)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/documents/$"))
    upload_documents(page)
    page.click("text=下一步")
    page.wait_for_url(re.compile(r".*/consents/$"))
    page.click("text=发送确认短信给客户")
    page.wait_for_load_state("networkidle")
    sms = OutboundMessage.objects.get(to="13812345678", purpose="application_confirm")
    link = re.search(r"https?://\S+", sms.body).group(0)

    # the customer opens the link (in their own browser context)
    customer_page = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}
    ).new_page()
    customer_page.goto(link)
    assert "王小明" in customer_page.inner_text("main")  # the summary first
    customer_page.check("input[name=credit_bureau]")
    customer_page.click("button[value=confirm]")
    assert "提交申请须同意此项授权。" in customer_page.content()
    for kind in ("credit_bureau", "sensitive_info", "automated_decision"):
        customer_page.check(f"input[name={kind}]")
    # without the code: refused, nothing recorded
    customer_page.click("button[value=confirm]")
    assert "验证码错误或已过期。" in customer_page.inner_text("#confirm-form")
    assert Application.objects.get().customer_confirmed_at is None
    customer_page.click("button[value=send_code]")
    customer_page.wait_for_selector("text=验证码已发送至")
    customer_page.screenshot(path="test-output/dealer/01-confirm-code-sent.png", full_page=True)
    code_sms = OutboundMessage.objects.filter(to="13812345678", purpose="sms_code_app_confirm")
    code = sms_code_in(code_sms.get().body)
    assert customer_page.is_checked("input[name=automated_decision]")  # the ticks are kept
    customer_page.fill("input[name=code]", code)
    customer_page.click("button[value=confirm]")
    customer_page.wait_for_selector("text=确认成功")
    customer_page.context.close()

    app = Application.objects.get()
    page.reload()  # the consents step now shows the customer's confirmation and 下一步
    expect(page.get_by_text("客户已确认")).to_be_visible()
    page.get_by_role("link", name="下一步").click()
    page.wait_for_url(f"{base}/dealer/applications/{app.reference}/review/")
    page.click("#submit-form button")
    page.wait_for_url(f"{base}/dealer/applications/{app.reference}/")
    assert page.inner_text("[data-testid=status]") == "已提交"
    app.refresh_from_db()
    assert (app.status, app.channel, app.dealer_id, app.salesperson_id) == (
        "submitted",
        "dealer",
        dealer.pk,
        salesperson.pk,
    )
    assert app.consents.filter(given_via="sms_link").count() == 3
    page.click(".subnav a:has-text('进件')")
    assert app.reference in page.inner_text("[data-status=submitted]")
