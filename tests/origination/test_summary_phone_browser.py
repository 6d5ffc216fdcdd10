"""The application's summary (申请信息) on a phone in English: its longest label, "First monthly
instalment (indicative)", sized the label column to its full width and pushed the figures past
the screen's edge (a 463 px page on a 390 px phone). Screenshot:
test-output/ui/summary-phone-en.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD
from tests.origination.intake_support import complete_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "test-output" / "ui"


def test_the_summary_fits_a_phone_in_english(
    live_server, phone_page, browser_login, draft, customer
):
    complete_draft(draft, actor=customer)
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/my/applications/{draft.reference}/")
    page.wait_for_load_state("load")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "summary-phone-en.png"), full_page=True)
    assert page.get_by_text("First monthly instalment (indicative)").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # every figure is on screen, beside its label
    rights = page.eval_on_selector_all(
        "dl.summary dd", "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= 390
