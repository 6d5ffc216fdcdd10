"""The dealer manager's overview on a phone (390×844): the channel grade as a letter with its
date, never risk's numeric score. Screenshot: test-output/j-cust/06-dealer-home-phone.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dealers.services import dealer_grades_recompute
from tests.dealers.test_grading import GOOD_MONTH
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dealer_manager_reads_the_grade_without_the_score_on_a_phone(
    phone_page, live_server, browser_login, make_dealer, make_staff
):
    dealer = make_dealer(name="杭州之江汇丰田汽车销售服务有限公司")
    staff = make_staff(dealer, "dealer_admin", display_name="陈晓东")
    dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={dealer.pk: GOOD_MONTH})
    page = phone_page
    browser_login(page, staff.user.username, PASSWORD)
    page.goto(f"{live_server.url}/dealer/")
    assert page.get_by_test_id("grade").inner_text() == "B"
    text = page.inner_text("main")
    assert "评级日：2026-02-28" in text
    assert "78.12" not in text and "得分" not in text
    Path("test-output/j-cust").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="test-output/j-cust/06-dealer-home-phone.png", full_page=True)
