"""Floor-plan (库存融资) in a real browser, by clicking: the dealer admin on a phone (390×844)
opens 库存融资 from the portal, sees the line's limit, use and availability, asks for an advance
over the invoice price (refused on the form in Chinese), corrects it and sees the car 待审批 with
the line's availability down by its amount; on a desktop the finance maker approves it and a
checker releases it (the maker cannot). Screenshots at phone and desktop size under /tmp."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from dealers.services import staff_create
from origination.services.floorplan import line_open
from servicing.models.floorplan import FloorplanAdvance
from tests.factories import UserFactory
from tests.servicing.test_commission_browser import DESKTOP, PHONE, _login

pytestmark = [pytest.mark.usefixtures("disbursement_settings"), pytest.mark.browser]
VIN = "LSVAU2182N2183256"


def _shot(page, name: str) -> None:
    page.screenshot(path=f"/tmp/fp3-{name}.png", full_page=True)


def test_dealer_requests_an_advance_and_finance_approves_and_releases_it(
    live_server, transactional_db, browser, dealer, today, maker, checker
):
    senior = UserFactory(roles=[Role.SENIOR_UNDERWRITER])
    line_open(
        dealer_id=dealer.pk,
        limit=Decimal("1000000.00"),
        annual_rate=Decimal("0.055"),
        curtailment_plan=[[90, 10], [120, 30], [180, 100]],
        oem_buyback_agreement="SVW-BB-2026-0042",
        by=senior,
        reason="厂家三方回购",
    )
    admin = UserFactory(username=f"dealer{dealer.pk}_admin", display_name="陈晓东")
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")

    ctx, page = _login(browser, live_server, admin, PHONE)
    page.goto(f"{live_server.url}/dealer/")
    page.get_by_role("link", name="库存融资", exact=True).click()
    expect(page.get_by_test_id("line-limit")).to_have_text("¥1,000,000.00")
    expect(page.get_by_test_id("line-available")).to_have_text("¥1,000,000.00")
    expect(page.locator("#line-status")).to_have_text("正常")
    _shot(page, "portal-phone")
    page.click("#request-advance")
    page.fill("input[name=vin]", VIN.lower())
    page.fill("input[name=model_name]", "大众 帕萨特 2026 款 330TSI")
    page.fill("input[name=invoice_price]", "300000.00")
    page.fill("input[name=oem_invoice_number]", "31000261234")
    page.fill("input[name=amount]", "310000")
    page.check("input[name=payee_kind][value=dealer]")
    page.click("#submit-advance")
    expect(page.locator("#advance-form")).to_contain_text("不能超过发票价格")
    _shot(page, "request-refused-phone")
    assert not FloorplanAdvance.objects.exists()
    page.fill("input[name=amount]", "270000.00")
    page.click("#submit-advance")
    card = page.locator(f".fp-card[data-vin='{VIN}']")
    expect(card.get_by_test_id("advance-status")).to_have_text("待审批")
    expect(page.get_by_test_id("line-available")).to_have_text("¥730,000.00")
    expect(page.get_by_test_id("line-used")).to_have_text("¥270,000.00")
    _shot(page, "advances-phone")
    ctx.close()
    advance = FloorplanAdvance.objects.get()

    ctx, page = _login(browser, live_server, maker, DESKTOP)
    page.goto(f"{live_server.url}/finance/funding/")
    page.click("#nav-floorplan")
    expect(page.locator("h1")).to_have_text("库存融资")
    page.get_by_test_id(f"approve-{advance.pk}").click()
    row = page.locator(f"#to-release tr[data-vin='{VIN}']")
    expect(row).to_contain_text("需复核")
    expect(page.get_by_test_id(f"release-{advance.pk}")).to_have_count(0)  # the maker cannot
    _shot(page, "finance-maker-desktop")
    ctx.close()

    ctx, page = _login(browser, live_server, checker, DESKTOP)
    page.goto(f"{live_server.url}/finance/floorplan/")
    row = page.locator(f"#to-release tr[data-vin='{VIN}']")
    row.locator("input[name=confirm]").check()
    page.get_by_test_id(f"release-{advance.pk}").click()
    expect(page.locator("#in-bank")).to_contain_text(VIN)
    expect(page.locator("#in-bank")).to_contain_text("付款中")
    _shot(page, "finance-checker-desktop")
    ctx.close()
    advance.refresh_from_db()
    assert (advance.status, advance.approved_by, advance.released_by) == (
        "released",
        maker,
        checker,
    )

    # the pages at the other size, for a look
    ctx, page = _login(browser, live_server, admin, DESKTOP)
    page.goto(f"{live_server.url}/dealer/floorplan/")
    _shot(page, "portal-desktop")
    page.goto(f"{live_server.url}/dealer/floorplan/statement/")
    _shot(page, "statement-desktop")
    ctx.close()
    ctx, page = _login(browser, live_server, checker, PHONE)
    page.goto(f"{live_server.url}/finance/floorplan/")
    _shot(page, "finance-phone")
    ctx.close()

    # the underwriters see the line's use servicing recorded on it
    ctx, page = _login(browser, live_server, senior, DESKTOP)
    page.goto(f"{live_server.url}/workbench/floorplan/")
    expect(page.locator(f"#lines tr[data-dealer='{dealer.pk}']")).to_contain_text("¥270,000.00")
    _shot(page, "lines-desktop")
    page.get_by_test_id(f"line-{dealer.pk}").click()
    expect(page.get_by_test_id("line-limit")).to_have_text("¥1,000,000.00")
    _shot(page, "line-desktop")
    ctx.close()
    ctx, page = _login(browser, live_server, senior, PHONE)
    page.goto(f"{live_server.url}/workbench/floorplan/")
    _shot(page, "lines-phone")
    ctx.close()
