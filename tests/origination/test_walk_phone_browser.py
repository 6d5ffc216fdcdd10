"""The customer on a phone (390×844): the counter-offer page sets the plan applied for beside the
offered one (amount, down payment, term, monthly instalment), in Chinese and English, within the
screen; the applicant step hides the co-applicant's fields while 无 is chosen. Screenshots under
test-output/walk/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from origination.services.underwriting.claims import case_claim
from origination.services.underwriting.counter_offers import underwriting_counter_offer
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "test-output" / "walk"


def _shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_counter_offer_sets_both_plans_side_by_side(
    live_server, phone_page, browser_login, referred, underwriter
):
    case_claim(application_id=referred.pk, actor=underwriter)
    offer = underwriting_counter_offer(
        application_id=referred.pk,
        actor=underwriter,
        down_payment=Decimal("80000.00"),
        term_months=48,
    )
    page = phone_page
    browser_login(page, referred.customer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/counter-offers/{offer.pk}/")
    table = page.get_by_test_id("offer-compare")
    _shot(page, "counter-offer-phone-zh")
    rows = table.locator("tbody tr")
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    # amount financed: 200,000 − 80,000 + 6,000 insurance
    assert cells[0][1].endswith("126,000.00") and cells[0][0] != cells[0][1]
    assert cells[1][1].endswith("80,000.00") and cells[2][1] == "48 期"
    assert "首期月供" in table.inner_text() and cells[3][0] != cells[3][1]
    assert table.locator("tr.changed").count() >= 4  # each figure the offer changes stands out
    assert _fits(page)

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.reload()
    _shot(page, "counter-offer-phone-en")
    english = page.get_by_test_id("offer-compare").inner_text()
    assert "48 instalments" in english and "期" not in english
    assert _fits(page)
    rights = page.eval_on_selector_all(
        "[data-testid=offer-compare] td", "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert max(rights) <= 390


def test_no_co_applicant_hides_its_fields(live_server, phone_page, browser_login, draft, customer):
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/apply/{draft.reference}/applicant/")
    other = page.get_by_test_id("other-person")
    expect(other).to_be_hidden()  # 无 is the initial choice
    _shot(page, "applicant-phone-none")
    page.select_option("select[name=other_role]", "co_applicant")
    expect(other).to_be_visible()
    expect(page.locator("input[name=other_name]")).to_be_visible()
    page.select_option("select[name=other_role]", "")
    expect(other).to_be_hidden()
