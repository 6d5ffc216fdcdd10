"""A product manager edits a draft's rate table, LTV caps and fees on a page: saved only when
the rules pass rules_validate, a quote previewed on the draft; others are refused."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from autofin.roles import Role
from origination.models import RateTableEntry
from origination.services.products import product_create, product_draft_open
from tests.approvals_support import product_publish, second_person
from tests.factories import PASSWORD, UserFactory

SHOTS = Path("test-output/pm")

RULES = {
    "terms": [12, 24],
    "max_term_months": 36,
    "methods": ["equal_instalment"],
    "ltv_rules": [
        {"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.20", "max_ltv": "0.80"}
    ],
    "fees": [{"fee_kind": "handling", "basis": "percent", "value": "0.01", "financed": False}],
    "amount_min": D("20000.00"),
    "amount_max": D("500000.00"),
    "day_count": "30/360",
}  # fmt: skip


def make_draft(pm, code="pm1"):
    product = product_create(
        actor=pm, code=code, name="编辑贷", vehicle_kind="new", contract_type="loan",
        rules=RULES, rates=[(t, k, D("0.0600"), None) for t in (12, 24) for k in "ABCD"],
    )  # fmt: skip
    return product.versions.get(number=1)


def grid(**changes) -> dict:
    data = {f"rate_{t}_{k}": "6" for t in (12, 24) for k in "ABCD"}
    data.update({"ltv_0": "80", "down_0": "20", "fee_0": "1"})
    data.update(changes)
    return data


def rates_of(version) -> dict:
    return {(e.term_months, e.tier): e.annual_rate for e in RateTableEntry.objects.filter(version=version)}  # fmt: skip


@pytest.mark.django_db
def test_a_valid_grid_saves_the_rules(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])

    response = client.post(
        url, grid(rate_12_A="5.5", ltv_0="75", down_0="25", fee_0="1.5"), follow=True
    )

    assert "已保存草稿版本 1" in response.content.decode()
    assert rates_of(draft)[(12, "A")] == D("0.055000")
    assert rates_of(draft)[(24, "D")] == D("0.060000")
    draft.refresh_from_db()
    assert D(draft.ltv_rules[0]["max_ltv"]) == D("0.75")
    assert D(draft.fees[0]["value"]) == D("0.015")
    page = response.content.decode()
    assert "报价预览" in page and "月供" in page and "新车 · 自用" in page and "手续费" in page


@pytest.mark.django_db
def test_an_invalid_cell_shows_its_error_and_saves_nothing(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = (rates_of(draft), draft.ltv_rules, draft.fees)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])

    response = client.post(url, grid(rate_24_C="", ltv_0="95"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="err-rate_24_C"' in page and "利率表缺少 C 类客户 24 期的利率" in page
    assert 'id="err-ltv_0"' in page and "超过" in page and "监管上限" in page
    draft.refresh_from_db()
    assert (rates_of(draft), draft.ltv_rules, draft.fees) == before

    response = client.post(url, grid(rate_12_B="六"))
    assert 'id="err-rate_12_B"' in response.content.decode()
    assert rates_of(draft) == before[0]


@pytest.mark.django_db
def test_others_are_refused_and_published_versions_are_not_edited(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = rates_of(draft)
    url = reverse("origination:product_edit", args=["pm1", 1])
    client.force_login(UserFactory(roles=[Role.RISK_ANALYST]))
    assert client.get(url).status_code == 403
    assert client.post(url, grid(rate_12_A="9")).status_code == 403
    assert rates_of(draft) == before

    product_publish(draft, maker=pm, checker=second_person(pm))
    client.force_login(pm)
    response = client.post(url, grid(rate_12_A="9"), follow=True)
    assert "该版本已发布，不能修改" in response.content.decode()
    assert rates_of(draft) == before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_product_manager_edits_a_draft_grid_in_the_browser(page, live_server, browser_login):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    version = make_draft(pm)
    product_publish(version, maker=pm, checker=second_person(pm))
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, pm.username, PASSWORD)

    page.goto(live_server.url + reverse("origination:product_list"))
    page.screenshot(path=SHOTS / "01-products.png", full_page=True)
    page.get_by_role("link", name="编辑贷").first.click()
    assert "新车 · 自用" in page.inner_text("main")
    page.get_by_role("button", name="修改规则（打开草稿）").click()
    page.screenshot(path=SHOTS / "02-draft.png", full_page=True)
    page.get_by_role("link", name="编辑利率与费用").click()
    page.wait_for_selector("#rate-grid")

    page.fill("input[name=rate_12_A]", "")
    page.click("#grid-save")
    assert "利率表缺少 A 类客户 12 期的利率" in page.inner_text("#err-rate_12_A")
    page.screenshot(path=SHOTS / "03-grid-error.png", full_page=True)

    page.fill("input[name=rate_12_A]", "4.8")
    page.click("#grid-save")
    page.wait_for_selector("text=已保存草稿版本 2")
    preview = page.inner_text("#quote-preview")
    assert "月供" in preview and "4.80%" in preview
    page.screenshot(path=SHOTS / "04-saved-preview.png", full_page=True)
    draft = product_draft_open(actor=pm, product=version.product)
    assert rates_of(draft)[(12, "A")] == D("0.048000")
