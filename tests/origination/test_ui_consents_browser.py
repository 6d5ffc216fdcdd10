"""Issue 16, everywhere: on a phone the application's consent checkboxes sit on their labels'
line with a 44 px tap target. Screenshot: test-output/ui/06-phone-consents.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.origination.intake_support import complete_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "test-output" / "ui"


def test_phone_consent_checkboxes_inline(live_server, phone_page, browser_login, draft, customer):
    complete_draft(draft, actor=customer, consents=False)
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/my/applications/")
    page.locator("a.card").first.click()
    page.get_by_role("link", name="继续填写").click()
    page.locator(".steplist a[href$='/consents/']").click()
    page.wait_for_url(re.compile(r".*/consents/$"))
    page.wait_for_load_state("load")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "06-phone-consents.png"), full_page=True)
    box = page.locator("input[name=credit_bureau]").bounding_box()
    label = page.locator("label:has(input[name=credit_bureau])").bounding_box()
    assert label["height"] >= 44
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 4
    assert box["x"] + box["width"] < label["x"] + 40  # the box first, then its words
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
