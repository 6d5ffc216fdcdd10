"""Operations closes one day's batch by clicking only: home → 日结 in the menu → the day's
button → the confirmation (date and loan count) → 确认 → the step table fills in live with
readable figures and the business date moves on; the next day, not yet over on the calendar,
is refused with the reason and nothing starts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from autofin.business_date import business_date_current
from autofin.roles import Role
from servicing.eod import runner
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.eod import BatchRun
from servicing.tasks import eod as tasks_eod
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

SHOTS = Path("test-output/j-audit/operations")
DAY = dt.date(2026, 2, 14)


def _shot(page, n: int, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{n:02d}-{step}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    settings.EOD_AUTO_DEBIT_SEND = False  # the batch must not send debits to the bank


@pytest.mark.browser
def test_operations_closes_one_day_by_clicking_and_cannot_run_ahead(
    page, live_server, browser_login, monkeypatch
):
    make_loan()
    set_day(DAY)
    started = []  # the workers' queue: the page hands the batch over, the test runs it below
    monkeypatch.setattr(tasks_eod.eod_batch_start, "delay", lambda *a: started.append(a))
    ops = UserFactory(roles=[Role.OPERATIONS])
    browser_login(page, ops.username, PASSWORD)

    # --- the menu's 日结: today's business date and its button ------------------------------
    page.locator("#main-nav").get_by_role("link", name="日结", exact=True).click()
    expect(page.get_by_test_id("business-date")).to_have_text("2026-02-14")
    _shot(page, 1, "dashboard")
    page.get_by_test_id("eod-close-day").click()

    # --- the confirmation names the date and the loans before anything runs -----------------
    expect(page.get_by_test_id("confirm-date")).to_have_text("2026-02-14")
    expect(page.get_by_test_id("confirm-loans")).to_have_text("1 笔")
    assert not BatchRun.objects.exists() and started == []
    _shot(page, 2, "confirm")
    page.get_by_test_id("eod-confirm-submit").click()
    expect(page.get_by_text("已启动日结：营业日 2026-02-14。")).to_be_visible()
    expect(page.get_by_test_id("batch-status")).to_have_text("运行中")
    assert started == [("2026-02-14",)]
    _shot(page, 3, "started")

    # --- the workers' part, here; the page follows it without a reload ---------------------
    batch = batch_run_sync(business_date=DAY)
    assert batch.status == "succeeded", batch.error
    expect(page.get_by_test_id("batch-status")).to_have_text("成功", timeout=10000)
    expect(page.get_by_test_id("business-date")).to_have_text("2026-02-15")
    expect(page.locator("#footer-business-date")).to_have_text("2026-02-15")  # the footer too
    accrual = page.locator('tr[data-step="accrual"]')
    expect(accrual.get_by_test_id("step-status")).to_have_text("成功")
    expect(accrual.locator('tr[data-key="loans"]')).to_contain_text("处理贷款")
    expect(accrual.locator('tr[data-key="loans"] td')).to_have_text("1 笔")
    expect(accrual.locator('tr[data-key="interest"] td')).to_contain_text("元")
    history = page.get_by_test_id("eod-history").locator("tbody tr").first
    expect(history).to_contain_text("2026-02-14")
    expect(history).to_contain_text("成功")  # not 运行中 until a reload
    expect(history).to_contain_text("2026-02-15")
    _shot(page, 4, "closed")

    # --- the next day: the calendar is on 02-15, before the same-day cut-off ----------------
    morning = timezone.make_aware(dt.datetime(2026, 2, 15, 9, 0))
    monkeypatch.setattr(runner, "calendar_now", lambda: morning)
    page.locator("#main-nav").get_by_role("link", name="日结", exact=True).click()
    expect(page.get_by_test_id("eod-refusal")).to_contain_text("2026-02-15 尚未结束")
    expect(page.get_by_test_id("eod-close-day")).to_have_count(0)
    _shot(page, 5, "refused-ahead")
    assert business_date_current() == dt.date(2026, 2, 15)
    assert list(BatchRun.objects.values_list("business_date", flat=True)) == [DAY]
    assert started == [("2026-02-14",)]
