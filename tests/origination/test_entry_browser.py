"""A new customer's way in on a phone (390×844), by clicking: the home page's 申请贷款 ->
sign-up by phone + SMS code (the code read from the sandbox outbox) -> the calculator at a
price that is not a multiple of ¥1,000 -> 用此方案申请 -> the first step, prefilled.
A screenshot per step goes to test-output/entry/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache

from autofin.crypto import keyed_hash
from autofin.models import OutboundMessage
from tests.origination.intake_support import primary_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_sms_client_limit():
    """Every request here comes from 127.0.0.1: start each test with its hourly count at 0."""
    cache.delete(f"rate:sms-client:{keyed_hash('ip:127.0.0.1')}")


OUT = Path(__file__).resolve().parents[2] / "test-output" / "entry"


def shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_new_customer_from_home_to_a_prefilled_first_step(live_server, phone_page, products):
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert page.locator("#apply-entry").inner_text() == "申请贷款"
    shot(page, "01-home")

    page.click("#apply-entry")
    page.wait_for_selector("h1:has-text('手机号注册')")
    page.fill("input[name=phone]", "13655557777")
    page.click("button[value=send_code]")
    page.wait_for_load_state("networkidle")
    assert "验证码已发送，请查收短信。" in page.inner_text("main")
    button = page.locator("button[value=send_code]")
    assert button.is_disabled() and "秒后可重新获取" in button.inner_text()
    shot(page, "02-code-sent")
    body = OutboundMessage.objects.get(to="13655557777", purpose="sms_code_signup").body
    page.fill("input[name=code]", re.search(r"\d{6}", body).group(0))
    page.fill("input[name=display_name]", "王小明")
    page.fill("input[name=password]", "Car-Loan-2026!")
    page.click("button[value=signup]")
    page.wait_for_url(f"{live_server.url}/apply/")
    assert "注册成功" in page.inner_text("main")
    shot(page, "03-signed-up")

    page.click("[data-nav-toggle]")
    page.click("#main-nav >> text=贷款计算器")
    page.wait_for_selector("#results table.compare")
    page.fill("input[name=price]", "158800")
    page.wait_for_selector("#calc-stale:not([hidden])", state="attached")
    page.press("input[name=price]", "Tab")
    page.wait_for_selector("#results td:has-text('¥47,640.00')")  # plan 2: 30 % of ¥158,800
    page.wait_for_load_state("networkidle")
    assert page.locator("#calc-stale").is_hidden()
    shot(page, "04-calculator")

    page.click("#apply-plan-2")
    page.wait_for_url(re.compile(r"/apply/\?product="))
    shot(page, "05-first-step-prefilled")
    page.wait_for_selector("h2:has-text('1. 产品与车辆')")
    assert "已带入您在计算器中选择的方案" in page.inner_text("main")
    assert page.input_value("input[name=vehicle_price]") == "158800"
    assert page.input_value("input[name=down_payment]") == "47640.00"
    assert page.input_value("select[name=term_months]") == "36"
    assert page.input_value("select[name=method]") == "equal_instalment"
    assert "新车" in page.locator("select[name=product] option:checked").inner_text()
    shot(page, "05-first-step-prefilled")

    # the first step with errors: a summary at the top, linking to the field
    page.fill("input[name=vehicle_brand]", "")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert "品牌" in page.inner_text("#error-summary")
    shot(page, "06-error-summary")

    # step 2: the birth date and sex are read from the ID number, not asked
    page.fill("input[name=vehicle_brand]", "比亚迪")
    page.fill("input[name=vehicle_model]", "汉 EV")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h2:has-text('2. 申请人信息')")
    assert page.locator("input[name=birth_date]").count() == 0
    page.fill("input[name=id_number]", primary_data()["id_number"])
    assert "出生日期：1990-05-17" in page.inner_text("form.form")
    shot(page, "07-applicant-id-derived")
