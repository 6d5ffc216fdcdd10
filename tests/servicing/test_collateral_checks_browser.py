"""The monthly book checks in a real browser on a phone (390×844): the collector's case page shows
the borrower's phone status, checked afresh when the page opened; operations read the current
LTV by vintage on the curves page. Screenshots under test-output/collateral_checks/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from risk.adapters import TEST_PHONE_DEACTIVATED
from servicing.eod.registry import StepContext
from servicing.eod.steps.revaluation import revaluation_chunk, revaluation_prepare
from servicing.eod.sync_driver import eod_run_until
from servicing.models.collections import CollectionCase
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/collateral_checks")
PHONE = {"width": 390, "height": 844}


def _login(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_phone_status_on_the_case_page_and_ltv_by_vintage_on_a_phone(
    live_server, browser, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.EOD_AUTO_DEBIT_SEND = False
    loan = make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=TEST_PHONE_DEACTIVATED))
    collector = UserFactory(roles=[Role.COLLECTOR])
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 16))
    case = CollectionCase.objects.get(loan=loan)

    ctx, page = _login(browser, live_server, collector)
    page.goto(f"{live_server.url}/servicing/collections/{case.pk}/")
    expect(page.get_by_test_id("phone-status")).to_contain_text("停机或空号")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "case-phone.png"), full_page=True)
    ctx.close()

    month_end = StepContext(business_date=dt.date(2026, 3, 31), batch_id=0, step_id=0)
    revaluation_prepare(month_end)
    revaluation_chunk(month_end, loan.pk, loan.pk)
    ctx, page = _login(browser, live_server, UserFactory(roles=[Role.OPERATIONS]))
    page.goto(f"{live_server.url}/servicing/eod/curves/")
    table = page.get_by_test_id("ltv-vintage")
    expect(table).to_contain_text("2026-01")
    expect(table).to_contain_text("60–80%")
    table.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "curves-phone.png"), full_page=True)
    ctx.close()
