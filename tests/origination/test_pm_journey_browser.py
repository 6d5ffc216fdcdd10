"""Journey: a product manager publishes a new version of a product through the pages only —
copy the live version, edit its rate grid, LTV rules and a fee, preview, submit — and a second
product manager sees what changes, approves, and the calculator quotes with the new version.
Every step is reached by clicking from the home page; a screenshot per step (1366×900)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.money import format_cny
from autofin.roles import Role
from origination.models import ProductVersion
from origination.quoting.deal import Deal
from origination.services.products import product_create
from origination.services.quotes import quote_preview
from tests.approvals_support import product_publish, second_person
from tests.factories import PASSWORD, UserFactory

SHOTS = Path("test-output/j-pm")
TERMS = (12, 24, 36, 48, 60)
RULES = {
    "terms": list(TERMS),
    "max_term_months": 60,
    "methods": ["equal_instalment"],
    "ltv_rules": [
        {"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.20", "max_ltv": "0.80"}
    ],
    "fees": [{"fee_kind": "handling", "basis": "percent", "value": "0.01", "financed": False}],
    "financed_items": [
        {"item_kind": "insurance", "payee_type": "insurer", "cap_amount": "20000.00", "cap_ratio": None}
    ],
    "amount_min": D("20000.00"),
    "amount_max": D("500000.00"),
    "day_count": "30/360",
}  # fmt: skip


def monthly(version: ProductVersion) -> str:
    """The calculator's first option (24 months, tier B, ¥200,000) at 30 % down on ``version``."""
    deal = Deal(
        vehicle_kind="new", vehicle_use="personal", vehicle_price=D("200000.00"), term_months=24,
        method="equal_instalment", tier="B", down_payment_ratio=D("0.30"),
    )  # fmt: skip
    evaluation = quote_preview(version=version, deal=deal).evaluation
    assert evaluation.ok, evaluation.violations
    return format_cny(evaluation.monthly_payment)


def sign_in(page, base_url: str, username: str) -> None:
    """From the home page: 登录, the form, back to the home page with the role's menu."""
    page.goto(base_url + "/")
    page.locator("header .account").get_by_role("link", name="登录").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def menu(page, label: str) -> None:
    page.locator("#main-nav").get_by_role("link", name=label).click()
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> None:
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_product_manager_publishes_a_new_version_with_a_checker(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    maker = UserFactory(roles=[Role.PRODUCT_MANAGER])
    checker = second_person(maker)
    product = product_create(
        actor=maker, code="jpm-std", name="新车标准贷", vehicle_kind="new", contract_type="loan",
        rules=RULES, rates=[(t, k, D("0.0600"), None) for t in TERMS for k in "ABCD"],
    )  # fmt: skip
    v1 = product_publish(product.versions.get(number=1), maker=maker, checker=checker)
    page.set_viewport_size({"width": 1366, "height": 900})

    # 1. The maker signs in and opens the product from the menu.
    sign_in(page, live_server.url, maker.username)
    shot(page, "01-home")
    menu(page, "产品")
    shot(page, "02-products")
    page.get_by_role("link", name="新车标准贷").first.click()
    main = page.locator("main")
    expect(main).to_contain_text("新车 · 自用")
    expect(main).to_contain_text("保险")
    assert "personal" not in main.inner_text() and "insurance" not in main.inner_text()
    # v1 is live and read-only: no edit link, only a copy into a new draft.
    expect(page.get_by_role("link", name="编辑草稿")).to_have_count(0)
    page.get_by_role("button", name="复制为新版本").click()
    expect(page.locator(".messages")).to_contain_text("已打开草稿版本 2")
    shot(page, "03-draft-opened")

    # 2. Edit: a broken rule first (LTV above 100 %), shown beside its field, nothing saved.
    page.get_by_role("link", name="编辑草稿").click()
    page.wait_for_selector("#rate-grid")
    page.fill("input[name=rate_24_B]", "4.8")
    page.fill("input[name='ltv-0-max_ltv']", "120")
    page.click("#grid-save")
    expect(page.locator("#err-ltv-0-max_ltv")).to_contain_text(
        "贷款价值比上限须大于 0 且不超过 100%"
    )
    expect(page.locator("#grid-errors")).to_contain_text("草稿未保存")
    shot(page, "04-edit-error")

    # then right: the grid cell, the LTV cap, a new used-car LTV row, the handling fee
    page.fill("input[name=rate_24_B]", "4.8")
    page.fill("input[name='ltv-0-max_ltv']", "75")
    page.select_option("select[name='ltv-1-vehicle_kind']", label="二手车")
    page.select_option("select[name='ltv-1-vehicle_use']", label="自用")
    page.fill("input[name='ltv-1-min_down_payment_ratio']", "30")
    page.fill("input[name='ltv-1-max_ltv']", "70")
    page.fill("input[name='fees-0-value']", "1.5")
    page.click("#grid-save")
    expect(page.locator(".messages")).to_contain_text("已保存草稿版本 2")
    draft = ProductVersion.objects.get(product=product, number=2)

    # 3. The preview prices the saved draft.
    preview = page.locator("#quote-preview")
    expect(preview).to_contain_text("月供")
    shot(page, "05-saved-preview")

    # 4. Submit for publication: waits for a second person; the calculator still quotes v1.
    page.get_by_role("button", name="提交发布复核").click()
    expect(page.locator(".messages")).to_contain_text("已提交复核")
    shot(page, "06-submitted")
    draft.refresh_from_db()
    assert not draft.is_published
    page.locator("header").get_by_role("button", name="退出").click()

    # 5. The checker sees what changes, before and after, in words and figures.
    sign_in(page, live_server.url, checker.username)
    menu(page, "双人复核")
    card = page.locator("#to-check article.approval").first
    expect(card).to_contain_text("产品版本发布")
    changes = card.locator("table.changes").inner_text()
    assert "v1" in changes and "v2" in changes
    assert "24 期 B 类 4.8%" in changes and "24 期 B 类 6%" in changes
    assert "新车·自用：首付 ≥ 20%，贷款价值比 ≤ 75%" in changes
    assert "二手车·自用：首付 ≥ 30%，贷款价值比 ≤ 70%" in changes
    assert "手续费 融资额的 1.5%（签约时付）" in changes
    for raw in ("annual_rate", "vehicle_kind", "personal", "handling", "{"):
        assert raw not in changes
    shot(page, "07-checker-sees-changes")
    card.get_by_role("button", name="批准").click()
    expect(page.locator(".messages")).to_contain_text("已批准并执行")
    shot(page, "08-approved")

    # 6. v2 is live, and the calculator quotes with it.
    draft.refresh_from_db()
    assert draft.is_published and draft.published_by == checker
    menu(page, "产品")
    page.get_by_role("link", name="新车标准贷").first.click()
    expect(page.locator("main")).to_contain_text("v2 的规则")
    shot(page, "09-v2-live")
    menu(page, "贷款计算器")
    # 20 % down, the calculator's default, is now above the 75 % cap: the option says so.
    expect(page.locator("#monthly-1")).to_have_text("—")
    expect(page.locator("main")).to_contain_text("超过本产品 75% 的上限")
    page.locator("#id_d1").fill("30")
    expect(page.locator("#monthly-1")).to_have_text(monthly(draft))
    assert monthly(draft) != monthly(v1)
    shot(page, "10-calculator-quotes-v2")
