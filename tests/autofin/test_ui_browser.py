"""Issue 16, everywhere: on a phone the repayment schedule shows period, date, instalment and
status without sideways scrolling and a long one opens with 展开全部; radios sit on the line of
their label with a 44 px target; the 404 page has a way back; the language switcher names each
language in itself. On a desktop the agent's loan table keeps every column.

Screenshots per step: test-output/ui/NN-<step>.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "test-output" / "ui"


def _shot(page, n: int, step: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{n:02d}-{step}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_schedule_prepay_radios_and_404(live_server, phone_page, browser_login):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912345601", display_name="马晓明")
    make_loan(customer=customer, term=36)
    set_day(dt.date(2026, 2, 10))
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/my/loans/")
    # the switcher names each language in itself
    options = page.locator("select[name=language] option").all_inner_texts()
    assert [o.strip() for o in options] == ["简体中文", "English"]
    page.get_by_role("link", name="查看与还款").click()
    schedule = page.get_by_test_id("schedule")
    expect(schedule).to_be_visible()
    header = [h.strip() for h in schedule.locator("thead th:visible").all_inner_texts()]
    assert header == ["期数", "还款日", "期供", "状态"]
    assert schedule.locator("tbody tr:visible").count() == 12
    _no_sideways_scroll(page)
    _shot(page, 1, "phone-loan-schedule")
    page.get_by_role("button", name="展开全部 36 期").click()
    assert schedule.locator("tbody tr:visible").count() == 36
    expect(page.get_by_role("button", name="展开全部 36 期")).to_be_hidden()
    _no_sideways_scroll(page)

    # the prepay options: each radio on its label's line, a 44 px tall target
    page.get_by_role("link", name="部分提前还款").click()
    page.wait_for_load_state("load")  # measured once the stylesheet applies
    _shot(page, 2, "phone-prepay-options")
    radio = page.locator("input[type=radio]").first
    label = page.locator("label:has(> input[type=radio])").first
    radio_box, label_box = radio.bounding_box(), label.bounding_box()
    assert label_box["height"] >= 44
    assert (
        abs((radio_box["y"] + radio_box["height"] / 2) - (label_box["y"] + label_box["height"] / 2))
        < 4
    )
    _no_sideways_scroll(page)

    # a link that leads nowhere: the friendly 404 with a way home
    page.goto(f"{live_server.url}/my/loans/999999/")
    expect(page.get_by_test_id("error-404")).to_be_visible()
    expect(page.get_by_role("heading", name="没有找到这个页面")).to_be_visible()
    _shot(page, 3, "phone-404")
    page.get_by_test_id("error-404").get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{live_server.url}/**")
    assert "error-404" not in page.content()


def test_desktop_agent_loan_table(live_server, page, browser_login):
    agent = UserFactory(roles=[Role.SERVICING_AGENT], display_name="贷后客服 赵丽")
    make_loan(term=24)
    set_day(dt.date(2026, 2, 10))
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, agent.username, PASSWORD)
    page.goto(f"{live_server.url}/servicing/loans/")
    _shot(page, 4, "desktop-loan-search")
    page.locator("table.data tbody a").first.click()
    schedule = page.get_by_test_id("schedule")
    header = [h.strip() for h in schedule.locator("thead th:visible").all_inner_texts()]
    assert header == ["期数", "还款日", "期供", "本金", "利息", "费用", "罚息", "已还", "状态"]
    _shot(page, 5, "desktop-loan-detail")
