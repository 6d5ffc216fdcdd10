"""The batch closes only a business date the calendar has finished: a date before today, or
today after the same-day cut-off hour (policy servicing.eod_same_day_cutoff_hour, 22:00).
Running ahead is refused by the runner itself - the page and `manage.py run_eod` say why - and
nothing changes. The page asks for confirmation (date, loan count) and shows each step's figures
with their units, live."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from autofin.business_date import business_date_current
from autofin.models import BusinessCalendar
from autofin.roles import Role
from servicing.eod import runner
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.eod import BatchRun
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

DAY = dt.date(2026, 2, 14)
SHOTS = Path("test-output/ops")


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    """Autouse: every batch here runs in small chunks and sends no auto-debit file."""
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def eod_calendar_at(monkeypatch, when: dt.datetime) -> None:
    """The batch's wall clock (Beijing) reads `when`."""
    monkeypatch.setattr(runner, "calendar_now", lambda: timezone.make_aware(when))


def _nothing_changed() -> None:
    assert business_date_current() == DAY
    assert not BatchRun.objects.exists()
    assert not BusinessCalendar.objects.get(pk=1).closing


@pytest.mark.django_db
def test_the_runner_refuses_a_business_date_the_calendar_has_not_finished(monkeypatch):
    make_loan()
    set_day(DAY)
    # calendar 2026-02-14 10:00, business date 2026-02-14: today, before the 22:00 cut-off
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 14, 10, 0))
    with pytest.raises(runner.EodError) as refused:
        batch_run_sync(business_date=DAY)
    assert "营业日 2026-02-14 尚未结束" in str(refused.value)
    assert "22:00" in str(refused.value)
    _nothing_changed()
    # calendar a day behind the business date: refused too (running ahead)
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 13, 23, 30))
    with pytest.raises(runner.EodError):
        runner.batch_open(business_date=DAY)
    _nothing_changed()
    # after the cut-off the same day: allowed
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 14, 22, 0))
    assert batch_run_sync(business_date=DAY).status == "succeeded"
    assert business_date_current() == DAY + dt.timedelta(days=1)
    # the next one (02-15) is ahead of the calendar again: refused
    with pytest.raises(runner.EodError):
        batch_run_sync(business_date=DAY + dt.timedelta(days=1))
    assert BatchRun.objects.count() == 1


@pytest.mark.django_db
def test_catch_up_closes_past_dates_and_stops_at_the_calendar(monkeypatch):
    from servicing.eod.sync_driver import eod_run_until

    make_loan()
    set_day(DAY)
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 16, 9, 0))  # 02-14 and 02-15 are past
    done = eod_run_until(target=dt.date(2026, 2, 15))
    assert [b.business_date for b in done] == [DAY, dt.date(2026, 2, 15)]
    assert business_date_current() == dt.date(2026, 2, 16)


@pytest.mark.django_db
def test_run_eod_command_refuses_with_the_reason_and_changes_nothing(monkeypatch):
    make_loan()
    set_day(DAY)
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 14, 8, 0))
    with pytest.raises(CommandError, match="营业日 2026-02-14 尚未结束"):
        call_command("run_eod")
    _nothing_changed()


@pytest.mark.django_db
def test_the_page_refuses_and_says_why(client, monkeypatch):
    make_loan()
    set_day(DAY)
    eod_calendar_at(monkeypatch, dt.datetime(2026, 2, 14, 8, 0))
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    page = client.get(reverse("servicing:eod_dashboard")).content.decode()
    assert "营业日 2026-02-14 尚未结束" in page and 'data-testid="eod-close-day"' not in page
    confirm = client.get(reverse("servicing:eod_confirm")).content.decode()
    assert 'data-testid="eod-refusal"' in confirm and "eod-confirm-submit" not in confirm
    from servicing.tasks import eod as tasks_eod

    sent = []
    monkeypatch.setattr(tasks_eod.eod_batch_start, "delay", lambda *a: sent.append(a))
    response = client.post(reverse("servicing:eod_start"), {"business_date": "2026-02-14"})
    assert response.status_code == 302 and sent == []
    shown = client.get(response.url).content.decode()
    assert "营业日 2026-02-14 尚未结束" in shown
    _nothing_changed()


@pytest.mark.django_db
def test_confirmation_shows_date_and_loans_and_results_have_units(client, monkeypatch):
    make_loan()
    make_loan()
    set_day(DAY)
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    confirm = client.get(reverse("servicing:eod_confirm")).content.decode()
    assert "2026-02-14" in confirm and "2 笔" in confirm and "eod-confirm-submit" in confirm
    batch_run_sync(business_date=DAY)
    page = client.get(reverse("servicing:eod_dashboard")).content.decode()
    assert "处理贷款" in page and " 元" in page
    assert "loans=" not in page and "interest=" not in page
    assert 'data-step="accrual"' in page and ">accrual<" not in page


@pytest.fixture
def shot(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{next(counter):02d}-{name}.png"), full_page=True)

    return take


def test_operations_close_one_day_in_a_browser(page, live_server, browser_login, monkeypatch, shot):
    page.set_viewport_size({"width": 1366, "height": 900})
    make_loan()
    make_loan()
    set_day(DAY)
    from servicing.tasks import eod as tasks_eod

    started = []  # the workers' part is run below, so the page must follow it by polling
    monkeypatch.setattr(tasks_eod.eod_batch_start, "delay", lambda *a: started.append(a))
    ops = UserFactory(roles=[Role.OPERATIONS])
    browser_login(page, ops.username, PASSWORD)
    # from the home page by clicking: the menu's 日结
    page.locator("#main-nav").get_by_role("link", name="日结", exact=True).click()
    expect(page.get_by_test_id("business-date")).to_have_text("2026-02-14")
    shot("batch-page")
    page.get_by_test_id("eod-close-day").click()
    expect(page.get_by_test_id("confirm-date")).to_have_text("2026-02-14")
    expect(page.get_by_test_id("confirm-loans")).to_contain_text("2 笔")
    shot("confirm")
    page.get_by_test_id("eod-confirm-submit").click()
    expect(page.get_by_text("已启动日结：营业日 2026-02-14。")).to_be_visible()
    assert started == [("2026-02-14",)]
    expect(page.get_by_test_id("batch-status")).to_have_text("运行中")
    expect(page.get_by_test_id("eod-close-day")).to_have_count(0)  # no second start
    shot("started")
    batch_run_sync(business_date=DAY)
    expect(page.get_by_test_id("batch-status")).to_have_text("成功", timeout=10000)
    expect(page.get_by_test_id("business-date")).to_have_text("2026-02-15")
    expect(page.locator("#footer-business-date")).to_have_text("2026-02-15")  # the footer too
    history = page.get_by_test_id("eod-history")
    expect(history).to_contain_text("成功")
    expect(history).not_to_contain_text("运行中")
    accrual = page.locator('tr[data-step="accrual"]').get_by_test_id("step-result")
    expect(accrual).to_contain_text("处理贷款")
    expect(accrual).to_contain_text("2 笔")
    expect(accrual).to_contain_text("元")
    shot("done")
    # the next day, before the same-day cut-off: refused with the reason, nothing starts
    morning = timezone.make_aware(dt.datetime(2026, 2, 15, 9, 0))
    monkeypatch.setattr(runner, "calendar_now", lambda: morning)
    page.locator("#main-nav").get_by_role("link", name="日结", exact=True).click()
    expect(page.get_by_test_id("eod-refusal")).to_contain_text("2026-02-15 尚未结束")
    expect(page.get_by_test_id("eod-close-day")).to_have_count(0)
    shot("refused-ahead")
    assert business_date_current() == dt.date(2026, 2, 15)
    assert list(BatchRun.objects.values_list("business_date", flat=True)) == [DAY]
    assert started == [("2026-02-14",)]
