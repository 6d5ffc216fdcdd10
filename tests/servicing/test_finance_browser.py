"""Finance in a real browser (desktop 1366×900), by clicking only after the login page: the
maker opens 待放款 and prepares; the checker opens it from the board, reviews every instruction,
reveals one account (audited), confirms and releases. A screenshot per step under
test-output/finance/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from autofin.models import AuditEntry
from servicing.models.disbursement import Disbursement
from tests.factories import PASSWORD
from tests.servicing.disbursement_support import STANDARD, make_facts

pytestmark = [pytest.mark.usefixtures("disbursement_settings"), pytest.mark.browser]
SHOTS = Path("test-output/finance")


@pytest.fixture
def contract(dealer, customer, payees, monkeypatch):
    """A signed, ready contract as origination's selectors give it (their reads stubbed)."""
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    monkeypatch.setattr(
        "servicing.services.disbursement.create.contract_facts_load",
        lambda *, contract_id: dict(facts),
    )
    row = {
        "contract_id": facts["contract_id"],
        "contract_ref": facts["contract_ref"],
        "application_id": None,
        "customer_name": "王小明",
        "amount_financed": facts["amount_financed"],
        "signed_at": None,
        "checklist_pending": [],
        "conditions_open": [],
        "payees_unregistered": [],
        "ready": True,
    }
    monkeypatch.setattr(
        "servicing.selectors.disbursement.contracts_awaiting_funding", lambda: [dict(row)]
    )
    return facts


def _login(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _board(page):
    page.locator("#main-nav").get_by_role("link", name="放款", exact=True).click()
    page.click("#nav-funding-board")
    expect(page.locator("h1")).to_have_text("待放款")


def test_maker_prepares_from_the_board_checker_reviews_reveals_and_releases(
    live_server, transactional_db, browser, contract, maker, checker
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ref = contract["contract_ref"]
    ctx, page = _login(browser, live_server, maker)
    _board(page)
    row = page.locator("#funding-board tr", has_text=ref)
    expect(row).to_contain_text("可发起放款")
    page.screenshot(path=str(SHOTS / "01-maker-board.png"), full_page=True)
    row.get_by_role("button", name="发起放款").click()
    expect(page.locator("#disbursement-status")).to_have_text("待复核")
    expect(page.locator("#approve")).to_have_count(0)  # the maker cannot release
    page.screenshot(path=str(SHOTS / "02-maker-prepared.png"), full_page=True)
    ctx.close()

    ctx, page = _login(browser, live_server, checker)
    _board(page)
    row = page.locator("#funding-board tr", has_text=ref)
    expect(row).to_contain_text("待复核")
    page.screenshot(path=str(SHOTS / "03-checker-board.png"), full_page=True)
    row.get_by_role("link", name="去复核").click()
    expect(page.locator(".account-masked")).to_have_count(4)  # every instruction's account
    page.screenshot(path=str(SHOTS / "04-checker-instructions.png"), full_page=True)
    insurer = page.locator("tr", has_text="中国平安财产保险股份有限公司")
    insurer.get_by_test_id("reveal").click()
    expect(insurer.get_by_test_id("account-full")).to_have_text("6222021002000456")
    assert AuditEntry.objects.filter(action="payee_account_reveal", actor_id=checker.pk).exists()
    page.screenshot(path=str(SHOTS / "05-checker-revealed.png"), full_page=True)
    page.check("#confirm-instructions")
    page.click("#approve")
    expect(page.locator("#disbursement-status")).to_have_text("付款中")
    page.screenshot(path=str(SHOTS / "06-checker-released.png"), full_page=True)
    d = Disbursement.objects.get(contract_id=contract["contract_id"])
    assert (d.status, d.approved_by_id) == ("released", checker.pk)
    assert reverse("servicing:disbursement_detail", args=[d.pk]) in page.url
    ctx.close()
