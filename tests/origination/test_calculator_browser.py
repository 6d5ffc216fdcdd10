"""The calculator in a real browser on a phone: move the down payment, see the payment change."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from autofin.money import format_cny
from origination.quoting.deal import Deal
from origination.selectors.products import product_version_for_quote
from origination.services.quotes import quote_preview


def monthly(code: str, ratio: str, term: int) -> str:
    version = product_version_for_quote(product_ref=code)
    deal = Deal(
        vehicle_kind="new",
        vehicle_use="personal",
        vehicle_price=D("200000.00"),
        term_months=term,
        method="equal_instalment",
        tier="B",
        down_payment_ratio=D(ratio),
    )
    return format_cny(quote_preview(version=version, deal=deal).evaluation.monthly_payment)


@pytest.mark.browser
@pytest.mark.slow
def test_calculator_on_a_phone(phone_page, live_server, transactional_db):
    from origination.seed import seed

    seed(stdout=io.StringIO(), context={})
    page = phone_page

    page.goto(f"{live_server.url}/calculator/")

    # Three options side by side in the comparison table, priced on load.
    expect(page.locator("table.compare thead th")).to_have_count(4)
    expect(page.locator("#monthly-1")).to_have_text(monthly("new-std", "0.20", 24))
    expect(page.locator("#monthly-2")).to_have_text(monthly("new-std", "0.30", 36))
    expect(page.locator("#monthly-3")).to_have_text(monthly("new-std", "0.30", 60))

    # Move option 1's down-payment slider: the label and the monthly payment follow.
    page.locator("#id_d1").fill("50")
    expect(page.locator("#down-label-1")).to_have_text("50%")
    expect(page.locator("#monthly-1")).to_have_text(monthly("new-std", "0.50", 24))

    # Change option 3's term.
    page.select_option("#id_t3", "48")
    expect(page.locator("#monthly-3")).to_have_text(monthly("new-std", "0.30", 48))
    assert "d1=50" in page.url and "t3=48" in page.url

    # The page fits the phone's width (the table scrolls inside its own wrapper).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Download the schedule of option 1.
    with page.expect_download() as download:
        page.locator("#csv-1").click()
    assert download.value.suggested_filename == "schedule-new-std-24m.csv"
