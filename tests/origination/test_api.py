"""POST /api/v1/quotes/ and GET /api/v1/products/."""

from __future__ import annotations

from decimal import Decimal as D
from unittest import mock

import pytest
from django.urls import reverse

from origination.api.quotes import QuoteAnonThrottle
from origination.models import Quote
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/quotes/"


def body(**changes) -> dict:
    data = {
        "product": "new-std",
        "vehicle": {"kind": "new", "use": "personal", "price": "200000.00"},
        "down_payment_ratio": "0.25",
        "term_months": 36,
        "method": "equal_instalment",
        "tier": "A",
    }
    data.update(changes)
    return data


def post(client, data):
    return client.post(URL, data, content_type="application/json")


def test_an_anonymous_quote_is_saved_with_every_figure(client, seeded):
    before = Quote.objects.count()

    response = post(client, body(add_ons=[{"item_kind": "insurance", "amount": "8000.00"}]))

    assert response.status_code == 201, response.json()
    data = response.json()
    assert Quote.objects.count() == before + 1
    assert data["product"]["code"] == "new-std"
    assert data["product_version"]["number"] == 2
    assert data["vehicle_amount_financed"] == "150000.00"
    assert data["add_ons_total"] == "8000.00"
    # handling 1 % of 158,000 and GPS 980 financed; mortgage registration 300 paid up front
    assert data["fees"]["items"] == [
        {"fee_kind": "handling", "amount": "1580.00", "financed": True, "per_instalment": False, "label": "手续费"},
        {"fee_kind": "gps", "amount": "980.00", "financed": True, "per_instalment": False, "label": "GPS 费"},
        {"fee_kind": "mortgage_registration", "amount": "300.00", "financed": False, "per_instalment": False, "label": "抵押登记费"},
    ]  # fmt: skip
    assert data["fees"]["financed_total"] == "2560.00"
    assert data["fees"]["upfront_total"] == "300.00"
    assert data["amount_financed"] == "160560.00"
    assert data["rates"]["customer_rate"] == data["rates"]["lender_yield"] == "0.052000"
    assert data["rates"]["subsidised"] is False
    assert data["apr"]["method"] == "IRR method (PBoC 2021 No. 3)"
    assert data["apr"]["label"] == "年化利率（IRR 法，依据中国人民银行公告〔2021〕第 3 号）"
    assert D(data["apr"]["value"]) > D("0.052")  # fees make the APR exceed the rate
    assert len(data["schedule"]) == 36
    assert data["schedule"][0]["instalment_no"] == 1
    assert data["totals"]["monthly_payment"] == data["schedule"][0]["instalment"]
    assert sum(D(r["principal"]) for r in data["schedule"]) == D("160560.00")
    assert data["early_settlement"] == {"lock_in_months": 6, "fee_rate": "0.0300"}
    assert client.get(data["url"]).json()["id"] == data["id"]


def test_every_broken_rule_comes_back_as_a_field_error_and_nothing_is_saved(client, seeded):
    before = Quote.objects.count()

    response = post(
        client,
        body(
            down_payment_ratio="0.15",
            term_months=72,
            method="interest_only",
            add_ons=[
                {"item_kind": "insurance", "amount": "25000.00"},
                {"item_kind": "purchase_tax", "amount": "20000.01"},
            ],
        ),
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "down_payment": ["首付比例 15% 低于本产品 20% 的最低要求"],
            "ltv": ["贷款价值比 85% 超过本产品 80% 的上限"],
            "term_months": [
                "期限 72 个月不在本产品可选期限（12/24/36/48/60 个月）内",
                "期限 72 个月超过本产品最长 60 个月",
            ],
            "method": ["本产品不提供「先息后本」还款方式"],
            "add_ons": [
                "「保险」融资额 ¥25,000.00 超过上限 ¥20,000.00",
                "「购置税」融资额 ¥20,000.01 超过车价的 10%（¥20,000.00）",
            ],
        }
    }
    assert Quote.objects.count() == before


def test_used_car_term_and_ltv_and_registration_date(client, seeded):
    response = post(
        client,
        body(
            product="used-loan",
            vehicle={"kind": "used", "use": "personal", "price": "120000.00"},
            down_payment_ratio="0.20",
            term_months=48,
        ),
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["vehicle.first_registration_date"] == ["二手车须填写首次登记日期"]
    assert errors["down_payment"] == ["首付比例 20% 低于本产品 30% 的最低要求"]
    assert errors["ltv"] == ["贷款价值比 80% 超过本产品 70% 的上限"]
    assert errors["term_months"] == [
        "期限 48 个月不在本产品可选期限（12/24/36 个月）内",
        "期限 48 个月超过本产品最长 36 个月",
    ]


def test_balloon_range_and_amount_range(client, seeded):
    response = post(client, body(method="balloon", balloon_ratio="0.45"))
    assert response.json()["errors"] == {
        "balloon_ratio": ["尾款比例 45% 不在本产品 10%–40% 的范围内"]
    }
    response = post(client, body(vehicle={"kind": "new", "price": "30000.00"}))
    assert response.json()["errors"] == {
        "amount_financed": ["融资额 ¥23,705.00 低于本产品最低 ¥30,000.00"]
    }


def test_a_subsidised_quote_shows_the_customer_rate_and_the_lender_yield(client, seeded):
    response = post(client, body(product="oem-zero", down_payment_ratio="0.30", term_months=24))

    assert response.status_code == 201, response.json()
    rates = response.json()["rates"]
    assert rates["customer_rate"] == "0.000000"
    assert rates["lender_yield"] == "0.048000"
    assert rates["subsidised"] is True
    assert rates["subsidy_payer"] == "星辰汽车"
    assert D(rates["subsidy_amount"]) > 0
    assert response.json()["totals"]["total_interest"] == "0.00"


def test_an_lpr_linked_quote_records_the_lpr_and_its_date(client, seeded):
    response = post(
        client,
        body(
            product="used-loan",
            vehicle={"kind": "used", "price": "120000.00", "first_registration_date": "2023-05-18"},
            down_payment_ratio="0.30",
            term_months=24,
            tier="B",
        ),
    )
    assert response.status_code == 201, response.json()
    rates = response.json()["rates"]
    assert rates["lpr"] == {"tenor": "1y", "rate": "0.030000", "effective_date": "2026-10-20"}
    assert rates["customer_rate"] == "0.075000"


def test_malformed_requests_are_field_errors_too(client, seeded):
    response = post(
        client,
        {
            "product": "nope",
            "vehicle": {"kind": "boat", "price": "-1"},
            "down_payment": "1000.00",
            "down_payment_ratio": "0.2",
            "term_months": 36,
            "method": "equal_instalment",
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"product", "vehicle.kind", "vehicle.price"}
    assert errors["product"] == ["未找到产品「nope」，或该产品暂无已发布的版本"]

    response = post(client, body(down_payment_ratio=None))
    assert response.json()["errors"] == {"down_payment": ["请填写首付金额或首付比例（二选一）"]}


def test_anonymous_quotes_are_throttled_but_signed_in_users_are_not(client, seeded):
    with mock.patch.object(QuoteAnonThrottle, "rate", "2/min"):
        assert post(client, body()).status_code == 201
        assert post(client, body()).status_code == 201
        assert post(client, body()).status_code == 429
        client.force_login(UserFactory())
        assert post(client, body()).status_code == 201


def test_products_list_each_product_with_its_current_rules(client, seeded):
    response = client.get(reverse("api-products-root"))

    assert response.status_code == 200
    products = {p["code"]: p for p in response.json()["results"]}
    # the purpose products (maintenance, insurance renewal) are taken up through offers only
    assert set(products) == {"new-std", "oem-zero", "nev-lease", "used-loan", "comm-slb",
                             "lease-new", "lease-back"}  # fmt: skip
    new_std = products["new-std"]
    assert new_std["version"]["number"] == 2
    assert new_std["rules"]["terms"] == [12, 24, 36, 48, 60]
    assert new_std["rules"]["methods"] == ["equal_instalment", "equal_principal", "balloon"]
    assert products["used-loan"]["rules"]["rate_basis"] == "lpr"
    assert (
        client.get("/api/v1/products/oem-zero/").json()["rules"]["subsidy"]["customer_rate"]
        == "0.000000"
    )


def test_the_api_root_links_products_and_quotes(client, db):
    links = client.get("/api/v1/").json()
    assert links["products"].endswith("/api/v1/products/")
    assert links["quotes"].endswith("/api/v1/quotes/")
