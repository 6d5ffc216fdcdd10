"""A customer takes up a pre-approved maintenance offer on a phone (390×844) in a real browser,
in at most six taps (each click counted): 立即使用 → her service centre → the term → 同意授权并
提交申请 (risk approves on the pre-approval, the contract is issued) → read the contract to its
end (a scroll, not a tap) and 同意合同并获取短信验证码 → the code typed, 确认签署. Screenshots
under test-output/offers/. No raw code or English on her pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from origination.models.contracts import Contract
from origination.services.signup import sms_code_in
from servicing.models import OfferStatus
from tests.factories import PASSWORD
from tests.servicing.loan_factory import _pdf_stand_in, _settings
from tests.servicing.offer_support import CENTRE, customer_with_offer, signed_long_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/offers")
LEAKS = re.compile(r"\b(None|maintenance|service_centre|active|accepted|issued|True|False)\b")


def test_a_customer_takes_up_a_maintenance_offer_on_the_phone_in_six_taps(
    live_server, browser, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the decision and the contract's issue run inline
    SHOTS.mkdir(parents=True, exist_ok=True)
    with _settings(), _pdf_stand_in():
        customer, _loan, offer = customer_with_offer("13799990001")
        signed_long_ago()
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", customer.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state("networkidle")
        taps = 0

        def tap(locator):
            nonlocal taps
            taps += 1
            locator.click()

        page.goto(f"{live_server.url}/my/offers/")  # where the campaign's SMS link lands
        card = page.get_by_test_id("offer-card")
        expect(card.get_by_test_id("offer-limit")).to_have_text("¥30,000.00")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not LEAKS.search(page.locator("main").inner_text())
        page.screenshot(path=str(SHOTS / "01-offers.png"), full_page=True)

        tap(card.get_by_test_id("offer-accept"))
        tap(page.get_by_test_id("payee-choice").filter(has_text=CENTRE))
        page.fill("input[name=amount]", "4800.00")
        tap(page.get_by_test_id("term-choice").filter(has_text="12 期"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "02-use.png"), full_page=True)
        tap(page.get_by_test_id("offer-confirm"))

        expect(page.get_by_test_id("fact-amount")).to_have_text("¥4,800.00")
        expect(page.get_by_test_id("fact-payee")).to_contain_text(CENTRE)
        send = page.get_by_test_id("send-code")
        expect(send).to_be_disabled()  # not before the contract is read to its end
        page.screenshot(path=str(SHOTS / "03-contract.png"), full_page=False)
        box = page.locator("[data-read-box]")
        box.hover()
        for _ in range(30):
            if send.is_enabled():
                break
            page.mouse.wheel(0, 1500)
        tap(send)

        msg = OutboundMessage.objects.filter(to=customer.phone, channel="sms").order_by("-id")[0]
        page.fill("input[name=code]", sms_code_in(msg.body))
        page.screenshot(path=str(SHOTS / "04-code.png"), full_page=False)
        tap(page.get_by_test_id("sign"))

        expect(page.get_by_test_id("signed")).to_be_visible()
        assert not LEAKS.search(page.locator("main").inner_text())
        page.screenshot(path=str(SHOTS / "05-signed.png"), full_page=True)
        desktop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        desktop.add_cookies(context.cookies())
        wide = desktop.new_page()
        wide.goto(f"{live_server.url}/my/offers/{offer.pk}/sign/")
        wide.screenshot(path=str(SHOTS / "06-signed-desktop.png"), full_page=True)
        context.close()
        desktop.close()

    assert taps <= 6, taps
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    contract = Contract.objects.get(application_id=offer.application_id)
    assert contract.status == "signed"
    assert contract.payees[0]["payee_type"] == "service_centre"
