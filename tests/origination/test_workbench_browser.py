"""The underwriter's path in a real browser: log in → queue → claim → approve with a
condition (the contract is issued)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from origination.models.contracts import Contract
from origination.models.underwriting import Condition, UnderwritingCase
from tests.factories import PASSWORD
from tests.origination.workbench_support import make_referred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_underwriter_claims_and_approves_with_a_condition(
    page, live_server, browser_login, products, underwriter
):
    app = make_referred(products=products)
    browser_login(page, underwriter.username, PASSWORD)

    page.goto(live_server.url + reverse("origination:workbench"))
    row = page.locator(f"#queue tr[data-ref='{app.reference}']")
    assert row.count() == 1
    assert "¥146,000.00" in row.inner_text()
    row.locator("a").first.click()
    page.click("#claim")
    page.wait_for_selector("#approve-form")
    assert UnderwritingCase.objects.get(application=app).assigned_to_id == underwriter.pk

    page.select_option("select[name=approve-cond_kind_1]", "down_payment")
    page.fill("input[name=approve-cond_amount_1]", "70000")
    page.fill("input[name=approve-cond_note_1]", "首付提高到 35%")
    page.fill("input[name=approve-note]", "收入稳定")
    page.click("#approve")
    page.wait_for_load_state("networkidle")

    assert "已批准" in page.locator("#app-status").inner_text()
    assert "提高首付" in page.locator("#conditions").inner_text()
    cond = Condition.objects.get(application=app)
    assert (cond.condition_kind, str(cond.amount), cond.status) == (
        "down_payment",
        "70000.00",
        "open",
    )
    assert Contract.objects.get(application=app).status == "issued"
