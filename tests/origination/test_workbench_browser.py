"""The underwriter's path in a real browser: log in → queue → claim → approve with a
condition (the contract is issued)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from origination.models.contracts import Contract
from origination.models.payees import Payee
from origination.models.underwriting import Condition, UnderwritingCase
from tests.factories import PASSWORD
from tests.origination.intake_support import payee_registered
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


def test_underwriter_picks_the_insurer_from_the_register_type_ahead(
    page, live_server, browser_login, products, underwriter
):
    """The insurer named at intake has lost its verification: the case page says so, the
    picker offers the register's verified insurers as the underwriter types, and approval then
    issues a contract naming the one picked."""
    app = make_referred(products=products)
    Payee.objects.filter(name="平安财险").update(verified=False)
    payee_registered("insurer", "中国人民财产保险股份有限公司")
    browser_login(page, underwriter.username, PASSWORD)
    page.goto(live_server.url + reverse("origination:workbench"))
    page.locator(f"#queue tr[data-ref='{app.reference}'] a").first.click()
    page.click("#claim")
    page.wait_for_selector("#item-payees")
    row = page.locator("#item-payees tr[data-item='insurance']")
    assert "未登记或未核验" in row.inner_text()

    field = row.locator("input[name='insurance-payee_name']")
    field.click()
    field.press_sequentially("人民", delay=50)
    option = page.locator("#payees-insurance option[value='中国人民财产保险股份有限公司']")
    option.wait_for(state="attached")
    page.screenshot(path="test-output/payee/02-underwriter-picks.png", full_page=True)
    field.fill("中国人民财产保险股份有限公司")
    row.locator("button").click()
    page.wait_for_load_state("networkidle")
    assert "收款方已从登记簿选定" in page.content()
    assert "已登记并核验" in page.locator("#item-payees tr[data-item='insurance']").inner_text()

    page.click("#approve")
    page.wait_for_load_state("networkidle")
    contract = Contract.objects.get(application=app, status="issued")
    assert [p["name"] for p in contract.payees if p["item"] == "insurance"] == [
        "中国人民财产保险股份有限公司"
    ]
    page.screenshot(path="test-output/payee/03-approved.png", full_page=True)
