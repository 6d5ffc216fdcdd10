"""The contract on the signing page at 390 px: every table fits the contract's box (the
8-column schedule was clipped, scrolled sideways inside a scrolling box); the schedule shows
each instalment as a labelled card, the first 12 and 展开全部."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

from origination.models.applications import Application
from origination.services.applications.decision import application_decision_apply
from origination.services.contracts.issue import contract_issue
from tests.factories import PASSWORD
from tests.origination.workbench_support import make_referred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path("test-output/j-cust")


def test_the_contract_schedule_fits_a_phone(phone_page, live_server, browser_login, products):
    app = make_referred(products=products)
    customer = app.customer_user
    Application.objects.filter(pk=app.pk).update(status="under_review")
    with transaction.atomic():
        application_decision_apply(application_id=app.pk, outcome="approve", actor="test")
        contract = contract_issue(application_id=app.pk, actor="test")
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/contracts/{contract.contract_ref}/sign/")
    box = page.locator("#contract-text")
    overflow = box.evaluate(
        """box => [...box.querySelectorAll('table')]
            .filter(t => t.scrollWidth > t.clientWidth + 1
                      || t.getBoundingClientRect().right > box.getBoundingClientRect().right)
            .map(t => t.className)"""
    )
    assert overflow == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    schedule = page.get_by_test_id("contract-schedule")
    rows = schedule.locator("tbody tr")
    assert rows.count() == contract.term_months == 36
    assert schedule.locator("tbody tr:visible").count() == 12
    labels = rows.first.evaluate(
        "tr => [...tr.cells].map(td => getComputedStyle(td, '::before').content)"
    )
    assert labels == [
        f'"{label}"'
        for label in ("期数", "还款日", "期初本金", "本金", "利息", "费用", "月供", "期末本金")
    ]  # every figure labelled on the card
    schedule.scroll_into_view_if_needed()
    OUT.mkdir(parents=True, exist_ok=True)
    box.screenshot(path=str(OUT / "05-contract-schedule-phone.png"))
    page.get_by_role("button", name="展开全部 36 期").click()
    assert schedule.locator("tbody tr:visible").count() == 36
