"""A lease's end of term in a real browser on a phone (390×844): the servicing agent opens the
loan page of a residual lease at maturity, records the car's return with an excess-wear charge,
then the remarketing sale; the page stays within the phone's width and shows no English codes.
Screenshots under test-output/lease_end/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models.leases import LeaseAsset
from tests.factories import PASSWORD, UserFactory
from tests.servicing.lease_eot_support import lease_make
from tests.servicing.test_lease_end_pages import _at_maturity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/lease_end")
LEAKS = re.compile(r"\b(on_lease|returned|sold|pending|direct_lease|sale_leaseback|None)\b")


def test_the_agent_records_a_return_and_the_sale_on_a_phone(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    loan = lease_make(term=12, method="balloon", balloon_ratio="0.30", buyout="0.00",
                      residual="36000.00")  # fmt: skip
    _at_maturity(loan)
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/servicing/loans/{loan.pk}/")
    section = page.get_by_test_id("lease-end")
    expect(section.get_by_test_id("lease-asset-status")).to_have_text("租赁中")
    form = section.get_by_test_id("lease-return-form")
    form.locator("input[name=mileage_km]").fill("80000")
    form.locator("textarea[name=notes]").fill("右后门划伤，超出合同里程")
    form.locator("input[name=excess_wear_charge]").fill("800.00")
    section.screenshot(path=str(SHOTS / "return_form_phone.png"))
    form.get_by_role("button", name="登记退车").click()
    page.wait_for_load_state("networkidle")
    expect(section.get_by_test_id("lease-asset-status")).to_have_text("已退还")
    sale = section.get_by_test_id("lease-remarket-form")
    sale.locator("input[name=buyer]").fill("上海二手车拍卖有限公司")
    sale.locator("input[name=proceeds]").fill("30000.00")
    sale.get_by_role("button", name="登记处置价款").click()
    page.wait_for_load_state("networkidle")
    expect(section.get_by_test_id("lease-asset-status")).to_have_text("已处置")
    section.screenshot(path=str(SHOTS / "sold_phone.png"))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert not LEAKS.search(section.inner_text())
    assert LeaseAsset.objects.get(loan=loan).status == "sold"
    context.close()
