"""Under the Content-Security-Policy (no inline script) the pages still work in a real browser:
HTMX swaps, the data-* behaviours that replaced inline handlers, a money form, Swagger UI."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models.repayments import Repayment
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _watch_csp(page) -> list[str]:
    """Collect what the browser refused or failed to run."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


@pytest.mark.django_db(transaction=True)
def test_calculator_and_phone_menu_work_under_the_csp(live_server, phone_page, tmp_path):
    from origination.seed import seed

    seed(stdout=io.StringIO(), context={})
    page = phone_page
    problems = _watch_csp(page)
    page.goto(f"{live_server.url}/calculator/")
    before = page.locator("#monthly-1").inner_text()

    # The slider's label (data-mirror) and the HTMX re-pricing both follow the input.
    page.locator("#id_d1").fill("50")
    expect(page.locator("#down-label-1")).to_have_text("50%")
    expect(page.locator("#monthly-1")).not_to_have_text(before)
    assert "d1=50" in page.url

    # The menu button (data-nav-toggle) opens the navigation.
    toggle = page.locator("button.nav-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_have_class("nav open")
    page.screenshot(path=str(tmp_path / "calculator.png"), full_page=True)
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_an_agent_posts_a_manual_repayment_under_the_csp(
    live_server, page, browser_login, tmp_path
):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    problems = _watch_csp(page)
    browser_login(page, agent.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('servicing:loan_detail', args=[loan.pk])}")
    form = page.locator(
        f"form[action='{reverse('servicing:loan_manual_repayment', args=[loan.pk])}']"
    )
    form.locator("input[name=amount]").fill("10377.97")
    form.locator("[name=evidence]").fill("工行 8899")
    page.screenshot(path=str(tmp_path / "loan_detail.png"), full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text("还款已入账")
    assert list(Repayment.objects.values_list("amount", flat=True)) == [Decimal("10377.97")]
    page.screenshot(path=str(tmp_path / "loan_detail_posted.png"), full_page=True)
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_from_our_own_files_under_the_csp(live_server, page, tmp_path):
    problems = _watch_csp(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("AutoFin API")
    page.screenshot(path=str(tmp_path / "api_docs.png"))
    assert outside == [] and problems == []
