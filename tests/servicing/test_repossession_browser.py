"""Repossession in a real browser: a collector on a phone (390×844) opens a repossession case
from an M4+ collections case; once approved and the car handed over, finance (desktop) records
the auction's proceeds and the page shows the allocation and the deficiency charged off.
Screenshots under test-output/repossession/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models.loans import Loan
from servicing.models.repossession import RepossessionCase
from servicing.selectors.ledger import trial_balance
from servicing.services.repossession.cases import (
    repossession_approve,
    repossession_contact_record,
    repossession_intake,
    repossession_value,
)
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day
from tests.servicing.test_repossession import (
    JPEG,
    OPEN_DAY,
    PDF,
    SALE_DAY,
    in_field_queue,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("disbursement_settings"),
]
SHOTS = Path("test-output/repossession")
LEAKS = re.compile(r"\b(requested|approved|in_storage|sold|voluntary|auction|None)\b")


def _login(browser, live_server, user, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_a_collector_opens_a_case_on_the_phone_and_finance_records_the_sale(
    live_server, browser, maker
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    loan = make_loan()
    set_day(OPEN_DAY)
    collection = in_field_queue(loan)
    collector = UserFactory(roles=[Role.COLLECTOR], display_name="催收丁")

    ctx, page = _login(browser, live_server, collector, {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/servicing/collections/{collection.pk}/")
    page.locator("#open-repossession").click()
    expect(page.locator("h1")).to_contain_text("申请收车")
    page.locator("select[name=route]").select_option("voluntary")
    page.locator("textarea[name=reason]").fill("客户失联后经联系同意自愿交车。")
    page.locator("#repossession-request").click()
    expect(page.get_by_test_id("case-status")).to_have_text("待审批")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "01-collector-requested-phone.png"), full_page=True)
    ctx.close()

    case = RepossessionCase.objects.get(loan=loan)
    operations = UserFactory(roles=[Role.OPERATIONS])
    repossession_approve(case_id=case.pk, actor=operations)
    repossession_contact_record(case_id=case.pk, kind="notice", note="通知已送达", actor=collector)
    repossession_intake(
        case_id=case.pk, actor=collector, condition_report="车况良好",
        storage_location="嘉定停车场", odometer_km=20000,
        handover_record=SimpleUploadedFile("交车确认书.pdf", PDF, content_type="application/pdf"),
        photos=[SimpleUploadedFile("车况.jpg", JPEG, content_type="image/jpeg")],
    )  # fmt: skip
    repossession_value(case_id=case.pk, amount="80000.00", actor=operations)
    set_day(SALE_DAY)

    ctx, page = _login(browser, live_server, maker, {"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/servicing/repossession/{case.pk}/")
    form = page.locator("#sale-form")
    form.locator("select[name=method]").select_option("auction")
    form.locator("input[name=buyer_name]").fill("上海二手车拍卖有限公司")
    form.locator("input[name=amount]").fill("60000.00")
    form.locator("input[name=bank_ref]").fill("AUC-20260425")
    page.locator("#record-sale").click()
    expect(page.locator(".messages")).to_contain_text("处置款已入账")
    expect(page.get_by_test_id("case-status")).to_have_text("已处置")
    case.refresh_from_db()
    assert case.deficiency > 0
    expect(page.get_by_test_id("deficiency")).to_contain_text(f"{case.deficiency:,}")
    assert not LEAKS.search(page.locator("main").inner_text())
    page.screenshot(path=str(SHOTS / "02-finance-sale-recorded.png"), full_page=True)
    ctx.close()

    assert case.proceeds == Decimal("60000.00") and case.status == "sold"
    assert Loan.objects.get(pk=loan.pk).status == "charged_off"
    assert trial_balance().total == Decimal("0.00")
