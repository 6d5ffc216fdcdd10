"""The collector in a real browser (desktop 1366×900), by clicking only after the login page:
the queue opened by the nightly batch → the case → a contact logged → a promise to pay
registered. A screenshot per step under test-output/roles/collector-NN-<step>.png.

The contact-hours rule (08:00–21:00 Beijing) reads the wall clock; the test pins it to noon so it
runs at any hour (the rule itself is tested in test_collections.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.eod.sync_driver import eod_run_until
from servicing.models.collections import CollectionCase, ContactAttempt, PromiseToPay
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/roles")
NOON = timezone.make_aware(dt.datetime(2026, 2, 17, 12, 0))


@pytest.fixture(autouse=True)
def _eod(settings, monkeypatch):
    settings.EOD_AUTO_DEBIT_SEND = False  # the batch must not send debits to the bank
    monkeypatch.setattr("servicing.services.collections.contact_hours_open", lambda at: True)


def _shot(page, n: int, step: str) -> None:
    page.screenshot(path=str(SHOTS / f"collector-{n:02d}-{step}.png"), full_page=True)


def test_collector_opens_a_case_from_the_queue_logs_a_call_and_a_promise(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    collector = UserFactory(roles=[Role.COLLECTOR])
    loan = make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone="13900003001"))
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 16))  # instalment 1 due 02-15 unpaid: dpd 2
    case = CollectionCase.objects.get(loan=loan)
    case.assigned_to = collector
    case.save(update_fields=["assigned_to"])

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", collector.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    _shot(page, 1, "landing")

    page.locator("#main-nav").get_by_role("link", name="催收").click()
    expect(page.locator("h1")).to_have_text("催收队列")
    row = page.locator(f"tr[data-loan='{loan.pk}']")
    expect(row).to_contain_text(loan.contract_ref)
    expect(row).to_contain_text("¥10,380.55")  # the instalment and 2 days of penalty
    expect(row).to_contain_text("M1")
    _shot(page, 2, "queue")

    row.get_by_role("link", name="处理").click()
    expect(page.locator("h1")).to_contain_text(loan.contract_ref)
    expect(page.get_by_text("暂无联系记录。")).to_be_visible()
    expect(page.get_by_test_id("script")).to_contain_text("应还 ¥10,380.55。")
    _shot(page, 3, "case")

    page.select_option("select[name=outcome]", label="承诺还款")
    page.fill("textarea[name=note]", "客户称本周五前还款")
    page.locator("section", has_text="记录联系").get_by_role("button", name="保存").click()
    expect(page.get_by_text("已记录联系结果。")).to_be_visible()
    logged = page.locator("section", has_text="联系记录").locator("tbody tr").first
    expect(logged).to_contain_text("借款人本人")
    expect(logged).to_contain_text("承诺还款")
    expect(logged).to_contain_text("客户称本周五前还款")
    _shot(page, 4, "contact-logged")

    page.fill("input[name=promised_date]", "2026-02-20")
    page.fill("input[name=amount]", "10380.55")
    page.get_by_role("button", name="登记承诺").click()
    expect(page.get_by_text("已登记还款承诺。")).to_be_visible()
    expect(page.get_by_text("2026-02-20 · ¥10,380.55 · 待兑现")).to_be_visible()
    _shot(page, 5, "promise")
    context.close()

    assert ContactAttempt.objects.filter(case=case, note="客户称本周五前还款").count() == 1
    promise = PromiseToPay.objects.get(case=case)
    assert (promise.promised_date, promise.amount) == (dt.date(2026, 2, 20), D("10380.55"))
