"""A product manager edits a draft's rate table, LTV caps and fees on a page: saved only when
the rules pass rules_validate, a quote previewed on the draft; others are refused."""

from __future__ import annotations

import re
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


def form_data(**changes) -> dict:
    """The editor's POST for make_draft's rules as they are, with ``changes`` on top."""
    data = {f"rate_{t}_{k}": "6" for t in (12, 24) for k in "ABCD"}
    data.update({
        "max_term_months": "36", "amount_min": "20000", "amount_max": "500000",
        "balloon_ratio_min": "", "balloon_ratio_max": "", "penalty_markup": "50",
        "ltv-TOTAL_FORMS": "2", "ltv-INITIAL_FORMS": "1",
        "ltv-0-vehicle_kind": "new", "ltv-0-vehicle_use": "personal",
        "ltv-0-min_down_payment_ratio": "20", "ltv-0-max_ltv": "80",
        "fees-TOTAL_FORMS": "2", "fees-INITIAL_FORMS": "1",
        "fees-0-fee_kind": "handling", "fees-0-basis": "percent", "fees-0-value": "1",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
    })  # fmt: skip
    data.update(changes)
    return data


def post(client, url, changes: dict, *, terms=("12", "24"), methods=("equal_instalment",), **kw):
    return client.post(url, {**form_data(**changes), "terms": list(terms), "methods": list(methods)}, **kw)  # fmt: skip


def rates_of(version) -> dict:
    return {(e.term_months, e.tier): e.annual_rate for e in RateTableEntry.objects.filter(version=version)}  # fmt: skip


def state_of(version) -> tuple:
    version.refresh_from_db()
    fields = ("terms", "methods", "amount_min", "amount_max", "ltv_rules", "fees", "financed_items", "penalty_markup",
              "lock_in_months", "early_settlement_fee_rate", "subsidy_customer_rate", "subsidy_terms", "subsidy_payer")  # fmt: skip
    return rates_of(version), tuple(getattr(version, f) for f in fields)


@pytest.mark.django_db
def test_a_valid_grid_saves_the_rules(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])

    response = post(client, url, {
        "rate_12_A": "5.5", "ltv-0-max_ltv": "75", "ltv-0-min_down_payment_ratio": "25",
        "fees-0-value": "1.5",
    }, follow=True)  # fmt: skip

    assert "已保存草稿版本 1" in response.content.decode()
    assert rates_of(draft)[(12, "A")] == D("0.055000")
    assert rates_of(draft)[(24, "D")] == D("0.060000")
    draft.refresh_from_db()
    assert D(draft.ltv_rules[0]["max_ltv"]) == D("0.75")
    assert D(draft.fees[0]["value"]) == D("0.015")
    page = response.content.decode()
    assert "报价预览" in page and "月供" in page and "新车" in page and "手续费" in page
    assert ">purchase_tax<" not in page and ">personal<" not in page and ">购置税<" in page


@pytest.mark.django_db
def test_the_lock_in_the_early_settlement_fee_and_the_oem_subsidy_are_edited_on_the_page(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])

    response = post(client, url, {
        "lock_in_months": "12", "early_settlement_fee_rate": "3", "subsidy_customer_rate": "0",
        "subsidy_terms": ["12"], "subsidy_payer": " 星辰汽车 ",
    }, follow=True)  # fmt: skip

    assert "已保存草稿版本 1" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.lock_in_months, draft.early_settlement_fee_rate) == (12, D("0.0300"))
    assert (draft.subsidy_customer_rate, draft.subsidy_terms, draft.subsidy_payer) == (
        D("0"), [12], "星辰汽车",
    )  # fmt: skip
    assert draft.rules_build()["subsidy"] == {
        "customer_rate": "0.000000",
        "terms": [12],
        "payer": "星辰汽车",
    }
    page = client.get(url).content.decode()
    assert 'name="lock_in_months" value="12"' in page
    assert 'name="early_settlement_fee_rate" value="3"' in page
    assert re.search(r'name="subsidy_terms" value="12"[^>]*checked', page)
    assert not re.search(r'name="subsidy_terms" value="24"[^>]*checked', page)

    # blank again: no lock-in, no fee, no subsidy
    post(client, url, {})
    draft.refresh_from_db()
    assert (draft.lock_in_months, draft.early_settlement_fee_rate, draft.subsidy_customer_rate,
            draft.subsidy_terms, draft.subsidy_payer) == (0, D("0"), None, [], "")  # fmt: skip


@pytest.mark.django_db
def test_rows_are_added_and_removed_and_the_basics_change(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])
    new_term = {f"rate_36_{k}": "7" for k in "ABCD"}

    response = post(client, url, {
        **new_term,
        "amount_min": "30000", "amount_max": "400,000", "penalty_markup": "40",
        "ltv-1-vehicle_kind": "used", "ltv-1-vehicle_use": "personal",
        "ltv-1-min_down_payment_ratio": "30", "ltv-1-max_ltv": "70",
        "fees-0-DELETE": "on",
        "fees-1-fee_kind": "gps", "fees-1-basis": "fixed", "fees-1-value": "980", "fees-1-financed": "on",
        "items-0-item_kind": "insurance", "items-0-payee_type": "insurer",
        "items-0-cap_amount": "15000", "items-0-cap_ratio": "",
    }, terms=("12", "24", "36"), methods=("equal_instalment", "equal_principal"), follow=True)  # fmt: skip

    assert "已保存草稿版本 1" in response.content.decode()
    draft.refresh_from_db()
    assert draft.terms == [12, 24, 36] and draft.methods == ["equal_instalment", "equal_principal"]
    assert (draft.amount_min, draft.amount_max) == (D("30000.00"), D("400000.00"))
    assert draft.penalty_markup == D("0.4000")
    assert [(r["vehicle_kind"], D(r["max_ltv"])) for r in draft.ltv_rules] == [("new", D("0.80")), ("used", D("0.70"))]  # fmt: skip
    assert draft.fees == [{"fee_kind": "gps", "basis": "fixed", "value": "980", "financed": True}]
    assert draft.financed_items == [
        {
            "item_kind": "insurance",
            "payee_type": "insurer",
            "cap_amount": "15000",
            "cap_ratio": None,
        }
    ]
    assert rates_of(draft)[(36, "C")] == D("0.070000")
    # the page now shows the new rows, each with its human label, and one blank row to add
    page = response.content.decode()
    assert 'name="ltv-2-vehicle_kind"' in page and 'name="items-1-item_kind"' in page


@pytest.mark.django_db
def test_an_invalid_cell_shows_its_error_and_saves_nothing(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = state_of(draft)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", 1])

    response = post(client, url, {"rate_24_C": "", "ltv-0-max_ltv": "95"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="err-rate_24_C"' in page and "利率表缺少 C 类客户 24 期的利率" in page
    assert 'id="err-ltv-0-max_ltv"' in page and "超过" in page and "监管上限" in page
    assert "草稿未保存" in page
    assert state_of(draft) == before

    response = post(client, url, {"rate_12_B": "六"})
    assert 'id="err-rate_12_B"' in response.content.decode()
    assert state_of(draft) == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ltv-0-max_ltv": "120"}, "ltv-0-max_ltv", "贷款价值比上限须大于 0 且不超过 100%"),
        ({"ltv-0-min_down_payment_ratio": "100"}, "ltv-0-min_down_payment_ratio", "最低首付比例须在 0–100% 之间"),
        ({"amount_min": "600000"}, "amount_min", "融资额范围无效：最低须大于 0 且低于最高"),
        ({"fees-0-value": "150"}, "fees-0-value", "按比例收取的费率须在 0–100% 之间"),
        ({"penalty_markup": "80"}, "penalty_markup", "罚息上浮比例 80% 不符合规定"),
        ({"fees-0-basis": "per_instalment", "fees-0-financed": "on"}, "fees-0-financed", "不能计入融资额"),
        ({"ltv-1-vehicle_kind": "new", "ltv-1-vehicle_use": "personal", "ltv-1-min_down_payment_ratio": "30",
          "ltv-1-max_ltv": "70"}, "ltv-1-vehicle_use", "同一车辆类型与用途只能有一条规则"),
        ({"items-0-item_kind": "warranty", "items-0-payee_type": "warranty_provider",
          "items-0-cap_ratio": "120"}, "items-0-cap_ratio", "车价比例上限须大于 0 且不超过 100%"),
        ({"max_term_months": "18"}, "terms", "可选期限 24 个月超过本产品最长 18 个月"),
        ({"lock_in_months": "48"}, "lock_in_months", "提前结清锁定期 48 个月超过本产品最长期限 36 个月"),
        ({"lock_in_months": "-1"}, "lock_in_months", "大于或等于"),
        ({"early_settlement_fee_rate": "100"}, "early_settlement_fee_rate", "须在 0%–100% 之间"),
        ({"subsidy_customer_rate": "0"}, "subsidy_payer", "厂商贴息须填写贴息厂商"),
        ({"subsidy_customer_rate": "7", "subsidy_payer": "星辰汽车"}, "subsidy_customer_rate",
         "高于利率表最低利率"),
        ({"subsidy_customer_rate": "0", "subsidy_payer": "星辰汽车", "subsidy_terms": ["36"]},
         "subsidy_terms", "贴息期限 36 个月不在本产品的可选期限内"),
        ({"subsidy_payer": "星辰汽车"}, "subsidy_customer_rate", "请填写贴息后客户年利率"),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_each_broken_rule_is_shown_beside_its_field_and_nothing_is_saved(
    client, changes, field, message
):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = state_of(draft)
    client.force_login(pm)

    response = post(client, reverse("origination:product_edit", args=["pm1", 1]), changes)

    page = response.content.decode()
    assert response.status_code == 200
    error = page.split(f'id="err-{field}"', 1)[1].split("</ul>", 1)[0]
    assert message in error
    assert state_of(draft) == before


@pytest.mark.django_db
def test_a_ticked_term_asks_for_its_rates_before_anything_is_saved(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = state_of(draft)
    client.force_login(pm)

    response = post(client, reverse("origination:product_edit", args=["pm1", 1]), {}, terms=("12", "24", "36"))  # fmt: skip

    page = response.content.decode()
    assert 'name="rate_36_A"' in page and "利率表缺少 A 类客户 36 期的利率" in page
    assert state_of(draft) == before


@pytest.mark.django_db
def test_others_are_refused_and_published_versions_are_not_edited(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    draft = make_draft(pm)
    before = rates_of(draft)
    url = reverse("origination:product_edit", args=["pm1", 1])
    client.force_login(UserFactory(roles=[Role.RISK_ANALYST]))
    assert client.get(url).status_code == 403
    assert post(client, url, {"rate_12_A": "9"}).status_code == 403
    assert rates_of(draft) == before

    product_publish(draft, maker=pm, checker=second_person(pm))
    client.force_login(pm)
    response = post(client, url, {"rate_12_A": "9"}, follow=True)
    page = response.content.decode()
    assert "该版本已发布，不能修改" in page and "复制为新版本" in page
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
    page.get_by_role("button", name="复制为新版本").click()
    page.screenshot(path=SHOTS / "02-draft.png", full_page=True)
    page.get_by_role("link", name="编辑草稿").click()
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


@pytest.mark.django_db
def test_the_checker_reads_only_what_changed_in_words_and_figures(client):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    v1 = make_draft(pm)
    product_publish(v1, maker=pm, checker=second_person(pm))
    draft = product_draft_open(actor=pm, product=v1.product)
    client.force_login(pm)
    url = reverse("origination:product_edit", args=["pm1", draft.number])
    # the same caps typed again ("80" is stored as 0.8, v1 holds "0.80"): no change to show
    post(client, url, {"rate_24_C": "5.25", "fees-1-fee_kind": "gps", "fees-1-basis": "per_instalment", "fees-1-value": "30"})  # fmt: skip
    response = client.post(reverse("origination:product_publish", args=["pm1", draft.number]), follow=True)  # fmt: skip
    assert "已提交复核" in response.content.decode()

    client.force_login(second_person(pm))
    page = client.get(reverse("approvals")).content.decode()
    table = page.split('class="data changes"', 1)[1].split("</table>", 1)[0]
    assert "<td>24 期 C 类 6%</td>" in table and "24 期 C 类 5.25%" in table
    assert "12 期 A 类" not in table  # unchanged cells are left out
    assert "GPS 费 每期 ¥30.00（随月供支付）" in table
    assert "首付与贷款价值比" not in table
    for raw in ("annual_rate", "per_instalment", "gps", "{"):
        assert raw not in table
