"""The operators' batch page and the collector's pages: permissions, progress (HTMX partial),
failure with its error and the retry button — and the batch page in a real browser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.eod import registry
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.collections import CollectionCase
from servicing.models.eod import BatchRun, ChunkRun
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def _failing_accrual(monkeypatch):
    registry.steps_load()
    real = registry.STEPS["accrual"]

    def boom(ctx, lo, hi):
        raise RuntimeError("数据库连接中断")

    monkeypatch.setitem(registry.STEPS, "accrual", dataclasses.replace(real, run_chunk=boom))
    return real


@pytest.mark.django_db
def test_dashboard_shows_progress_failure_and_retries(client, monkeypatch):
    # given a failed night
    make_loan()
    set_day(dt.date(2026, 2, 14))
    real = _failing_accrual(monkeypatch)
    batch = batch_run_sync(business_date=dt.date(2026, 2, 14))
    ops = UserFactory(roles=[Role.OPERATIONS])
    client.force_login(ops)
    # the page shows the date, each step, the failure and a retry button
    page = client.get(reverse("servicing:eod_dashboard")).content.decode()
    assert "2026-02-14" in page and "数据库连接中断" in page
    assert 'data-testid="retry"' in page and 'hx-trigger="every 2s"' in page
    assert re.search(r'data-testid="eod-pauses">[^<]*让行', page)  # how often it yielded
    partial = client.get(reverse("servicing:eod_progress_batch", args=[batch.pk]))
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    # when the operator retries (dispatch mocked: no workers in this test)
    monkeypatch.setitem(registry.STEPS, "accrual", real)
    sent = []
    from servicing.tasks import eod as tasks_eod

    monkeypatch.setattr(tasks_eod.eod_batch_continue, "delay", lambda *a: sent.append(a))
    with pytest.MonkeyPatch.context():
        response = client.post(reverse("servicing:eod_retry", args=[batch.pk]))
    assert response.status_code == 302
    assert ChunkRun.objects.filter(status="failed").count() == 0
    assert BatchRun.objects.get(pk=batch.pk).status == "running"


@pytest.mark.django_db
def test_step_results_count_dealers_in_jia_and_statements_in_fen(client):
    """Issue #16: 评级经销商 0 笔 — dealers are counted in 家, statements in 份, loans in 笔."""
    make_loan()
    set_day(dt.date(2026, 2, 28))  # a month's last night: the dealer step issues statements too
    batch = batch_run_sync(business_date=dt.date(2026, 2, 28))
    assert batch.status == "succeeded"
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    page = client.get(reverse("servicing:eod_dashboard")).content.decode()
    step = re.search(r'<tr data-step="dealer_metrics">.*?</tr>\s*</tbody></table>', page, re.S)
    figures = dict(
        re.findall(r'<tr data-key="(\w+)">.*?<td class="num">([^<]*)</td>', step.group(0))
    )
    assert figures["dealers"].split()[-1] == "家" and figures["kpis"].split()[-1] == "家"
    assert figures["statements"].split()[-1] == "份"
    accrual = re.search(r'<tr data-step="accrual">.*?</tr>\s*</tbody></table>', page, re.S)
    assert '<tr data-key="loans">' in accrual.group(0) and "1 笔" in accrual.group(0)


@pytest.mark.django_db
def test_pages_refuse_other_roles(client):
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.get(reverse("servicing:eod_dashboard")).status_code == 403
    assert client.get(reverse("servicing:collections_queue")).status_code == 403
    assert client.get(reverse("servicing:eod_curves")).status_code == 403


@pytest.mark.django_db
def test_collector_queue_case_page_and_curves(client):
    collector = UserFactory(roles=[Role.COLLECTOR])
    make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone="13900004001"))
    set_day(dt.date(2026, 2, 15))
    batch_run_sync(business_date=dt.date(2026, 2, 15))
    batch_run_sync(business_date=dt.date(2026, 2, 16))
    case = CollectionCase.objects.get()
    assert case.assigned_to == collector
    client.force_login(collector)
    queue = client.get(reverse("servicing:collections_queue")).content.decode()
    assert case.loan.contract_ref in queue
    page = client.get(reverse("servicing:collections_case", args=[case.pk])).content.decode()
    assert "本期还款尚未到账" in page  # the M1 call script
    ops = UserFactory(roles=[Role.OPERATIONS])
    client.force_login(ops)
    curves = client.get(reverse("servicing:eod_curves")).content.decode()
    assert "2026-01" in curves and 'data-testid="roll"' in curves


@pytest.mark.browser
def test_batch_page_in_a_browser(page, live_server, browser_login, monkeypatch, settings):
    # given a night that failed in the accrual step
    make_loan()
    set_day(dt.date(2026, 2, 14))
    real = _failing_accrual(monkeypatch)
    batch_run_sync(business_date=dt.date(2026, 2, 14))
    ops = UserFactory(roles=[Role.OPERATIONS])
    browser_login(page, ops.username, PASSWORD)
    # when the operator opens the batch page
    page.goto(f"{live_server.url}{reverse('servicing:eod_dashboard')}")
    # then the step table shows the failure and its error, with a retry button
    assert page.get_by_test_id("business-date").inner_text() == "2026-02-14"
    assert page.get_by_test_id("batch-status").inner_text() == "失败"
    assert "数据库连接中断" in page.get_by_test_id("batch-error").inner_text()
    accrual = page.locator('tr[data-step="accrual"]')
    assert "失败" in accrual.get_by_test_id("step-status").inner_text()
    # when the cause is fixed and the operator retries (the workers' part run here)
    monkeypatch.setitem(registry.STEPS, "accrual", real)
    from servicing.tasks import eod as tasks_eod

    monkeypatch.setattr(tasks_eod.eod_batch_continue, "delay", lambda *a: None)
    page.get_by_test_id("retry").click()
    page.wait_for_load_state("networkidle")
    batch_run_sync(business_date=dt.date(2026, 2, 14))
    # then HTMX polling shows every step done and the new business date, without a reload
    # (expect, not wait_for_function: the page's CSP forbids evaluating strings as script)
    expect(page.get_by_test_id("batch-status")).to_contain_text("成功", timeout=10000)
    assert page.get_by_test_id("business-date").inner_text() == "2026-02-15"
    bars = page.locator('[role="progressbar"]')
    assert bars.count() == len(registry.steps_ordered())
    assert all(bars.nth(i).get_attribute("aria-valuenow") == "100" for i in range(bars.count()))
    page.screenshot(path="/tmp/eod_dashboard.png", full_page=True)


@pytest.mark.django_db
def test_the_head_keeps_each_figure_whole_in_english(page, live_server, browser_login, settings):
    """In English the label and the date shared a line in a third of the width ("Current business
    date 2026-02-" / "14"): each label now stands above its figure, which never breaks."""
    make_loan()
    set_day(dt.date(2026, 2, 14))
    batch_run_sync(business_date=dt.date(2026, 2, 14))
    ops = UserFactory(roles=[Role.OPERATIONS])
    browser_login(page, ops.username, PASSWORD)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}{reverse('servicing:eod_dashboard')}")
        Path("test-output/walk").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"test-output/walk/eod-head-en-{width}.png")
        for figure in page.locator(".eod-head .figure").all():
            # one line: no taller than its font size allows
            size = float(figure.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
            assert figure.bounding_box()["height"] < 2 * size, figure.inner_text()
        date = page.get_by_test_id("business-date")
        assert date.inner_text() == "2026-02-15"
        label = page.locator(".eod-head .eod-stat .muted").first.bounding_box()
        assert label["y"] + label["height"] <= date.bounding_box()["y"] + 1  # above its figure
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
