"""The calculator page (HTMX), schedule downloads (CSV, PDF) and the product pages."""

from __future__ import annotations

import csv
import io
import subprocess
import tempfile
from decimal import Decimal as D

import pytest
from django.urls import reverse

from autofin.models import ApprovalRequest
from autofin.roles import Role
from origination.models import ProductVersion, Quote
from origination.services.products import product_draft_open
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUERY = {
    "price": "200000",
    "use": "personal",
    **{f"p{i}": "new-std" for i in (1, 2, 3)},
    "d1": "20",
    "d2": "30",
    "d3": "40",
    **{f"t{i}": t for i, t in ((1, "24"), (2, "36"), (3, "60"))},
    **{f"m{i}": "equal_instalment" for i in (1, 2, 3)},
}


def test_the_calculator_prices_three_options_on_first_load(client, seeded):
    response = client.get(reverse("origination:calculator"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="input changed delay:300ms, change"' in html
    for i in (1, 2, 3):
        assert f'id="monthly-{i}"' in html
    assert len(response.context["options"]) == 3
    assert all(o.evaluation.ok for o in response.context["options"])


def test_an_htmx_request_returns_only_the_results_and_follows_the_down_payment(client, seeded):
    response = client.get("/calculator/", QUERY, HTTP_HX_REQUEST="true")
    more_down = client.get("/calculator/", {**QUERY, "d1": "50"}, HTTP_HX_REQUEST="true")

    assert "<html" not in response.content.decode()
    first = response.context["options"][0].evaluation
    after = more_down.context["options"][0].evaluation
    assert first.amount_financed == D("162580.00")  # 160,000 + 1 % handling + 980 GPS
    assert after.amount_financed == D("101980.00")
    assert after.monthly_payment < first.monthly_payment
    assert f"{after.monthly_payment:,}" in more_down.content.decode()


def test_an_option_that_breaks_the_rules_shows_why(client, seeded):
    response = client.get("/calculator/", {**QUERY, "d3": "10"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="option-errors-3"' in html
    assert "首付比例 10% 低于本产品 20% 的最低要求" in html


def test_schedule_csv_download(client, seeded):
    response = client.get("/calculator/schedule.csv", {**QUERY, "option": "2"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff还款计划表")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows.index(["期数", "还款日", "期初本金", "本金", "利息", "费用", "月供", "期末本金"])
    body = rows[header + 1 :]
    assert len(body) == 36
    assert body[0][0] == "1" and body[-1][-1] == "0.00"
    assert sum(D(r[3]) for r in body) == D("142380.00")  # 140,000 + 1 % + 980


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.mark.requires_service("pdftotext")
def test_schedule_pdf_download_has_the_chinese_title(client, seeded):
    response = client.get("/calculator/schedule.pdf", {**QUERY, "option": "1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "还款计划表" in text
    assert "新车贷款-标准" in text
    assert "年化利率（IRR 法）" in text


@pytest.mark.requires_service("pdftotext")
def test_a_saved_quotes_schedule_downloads(client, seeded):
    quote = Quote.objects.filter(product_version__product__code="oem-zero").first()
    csv_response = client.get(reverse("origination:quote_schedule_csv", args=[quote.reference]))
    pdf_response = client.get(reverse("origination:quote_schedule_pdf", args=[quote.reference]))

    assert csv_response.status_code == 200
    assert "厂商贴息金额" in csv_response.content.decode("utf-8")
    assert "还款计划表" in _pdf_text(pdf_response.content)


def test_a_download_for_a_deal_that_breaks_the_rules_is_refused(client, seeded):
    response = client.get("/calculator/schedule.csv", {**QUERY, "d1": "5", "option": "1"})
    assert response.status_code == 400
    assert "首付比例 5% 低于本产品 20% 的最低要求" in response.content.decode()


def test_product_pages_are_for_product_managers(client, seeded):
    assert client.get("/products/").status_code == 302  # to the login page
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.get("/products/").status_code == 403

    client.force_login(UserFactory(roles=[Role.PRODUCT_MANAGER]))
    listing = client.get(reverse("origination:product_list"))
    detail = client.get(reverse("origination:product_detail", args=["new-std"]))

    assert listing.status_code == 200
    assert "新车贷款-标准" in listing.content.decode()
    assert "LPR" in listing.content.decode()
    html = detail.content.decode()
    assert "v2" in html and "v1" in html
    assert "60 期利率下调 20 个基点" in html
    assert "5.60%" in html  # 60 months, tier A, in v2


def test_a_product_manager_opens_and_publishes_a_draft_from_the_page(client, seeded):
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    client.force_login(pm)

    client.post(reverse("origination:product_draft", args=["nev-lease"]))
    draft = ProductVersion.objects.get(product__code="nev-lease", status="draft")
    response = client.post(
        reverse("origination:product_publish", args=["nev-lease", draft.number]), follow=True
    )

    # Four eyes (on by default): submitted, not yet published.
    assert "已提交复核" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.number, draft.status, draft.published_by) == (2, "draft", None)

    checker = UserFactory(roles=[Role.PRODUCT_MANAGER])
    client.force_login(checker)
    [pending] = ApprovalRequest.objects.filter(status="pending")
    client.post(reverse("approval_approve", args=[pending.pk]))

    draft.refresh_from_db()
    assert (draft.number, draft.status, draft.published_by) == (2, "published", checker)


def test_a_risk_analyst_may_look_but_not_publish(client, seeded):
    client.force_login(UserFactory(roles=[Role.RISK_ANALYST]))
    draft = product_draft_open(actor="test", product=seeded["products"]["comm-slb"])

    assert client.get("/products/comm-slb/").status_code == 200
    response = client.post(reverse("origination:product_publish", args=["comm-slb", draft.number]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_page_refuses_to_publish_a_penalty_markup_above_50_percent(client, seeded):
    from origination.services.products import product_version_update

    client.force_login(UserFactory(roles=[Role.PRODUCT_MANAGER]))
    draft = product_draft_open(actor="test", product=seeded["products"]["oem-zero"])
    product_version_update(actor="test", version=draft, rules={"penalty_markup": D("0.51")})

    response = client.post(
        reverse("origination:product_publish", args=["oem-zero", draft.number]), follow=True
    )

    assert "罚息上浮比例 51% 不符合规定：罚息利率须在合同利率基础上上浮 30%–50%" in (
        response.content.decode()
    )
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == ("draft", None)
