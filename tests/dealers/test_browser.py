"""The dealer portal in a real browser: a dealer admin signs in, sees the profile and the KPI
charts, downloads a commission statement as CSV and invites a salesperson."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autofin.business_date import business_date_set
from autofin.models import OutboundMessage
from dealers.models.staff import StaffInvitation
from dealers.seed import uscc_make
from dealers.services import (
    agreement_create,
    commission_accrue,
    commission_statement_for_month,
    dealer_kpis_record,
    staff_create,
)
from tests.factories import PASSWORD, UserFactory

OUT = Path(__file__).resolve().parents[2] / "test-output" / "j-small"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dealer_admin_portal_flow(page, live_server, browser_login, tmp_path):
    from dealers.models.dealers import Dealer

    business_date_set(actor="test", date=dt.date(2026, 3, 15), reason="test")
    dealer = Dealer.objects.create(
        legal_name="杭州之江汇丰田汽车销售服务有限公司",
        uscc=uscc_make("330106", 42),
        dealer_type="four_s",
        province="浙江省",
        city="杭州市",
        status="active",
    )
    admin = UserFactory(username="dealer1_admin", display_name="陈晓东")
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")
    for m in (1, 2):
        dealer_kpis_record(
            dealer_id=dealer.pk,
            month=dt.date(2026, m, 1),
            figures={
                "applications": 40 + m,
                "approval_rate": "0.55",
                "funded_count": 18,
                "funded_amount": "2700000.00",
                "avg_decision_hours": "1.8",
            },
        )
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.015",
        effective_from=dt.date(2026, 1, 1),
    )
    commission_accrue(
        dealer=dealer,
        contract_ref="HT-9001",
        amount_financed="200000.00",
        funded_on=dt.date(2026, 2, 3),
        product_line="new",
        salesperson_name="王小明",
    )
    commission_statement_for_month(dealer=dealer, month=dt.date(2026, 2, 1))

    browser_login(page, "dealer1_admin", PASSWORD)
    page.goto(f"{live_server.url}/dealer/")
    assert page.locator("h1").inner_text() == dealer.legal_name
    assert dealer.uscc in page.content()

    page.get_by_role("link", name="经营指标").click()
    page.wait_for_url("**/dealer/kpis/")
    charts = page.locator("[data-testid=chart] svg")
    assert charts.count() == 4
    assert page.locator("[data-testid=chart] svg rect").count() == 8
    assert charts.first.bounding_box()["width"] > 200

    page.get_by_role("link", name="返佣结算").click()
    with page.expect_download() as info:
        page.click("[data-testid=csv-2026-02]")
    download = info.value
    path = tmp_path / "statement.csv"
    download.save_as(path)
    assert download.suggested_filename == "commission-2026-02.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert "HT-9001,返佣,2026-02-03,200000.00,3000.00,王小明" in text

    # the statement's lines name the salesperson (issue #16), on a phone's cards too
    page.get_by_role("link", name="2026-02", exact=True).click()
    page.wait_for_url("**/dealer/statements/*/")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", (1366, 900)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        assert page.get_by_test_id("salesperson").first.inner_text() == "王小明"
        page.screenshot(path=str(OUT / f"statement-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.go_back()

    page.get_by_role("link", name="员工").click()
    page.fill("input[name=display_name]", "周倩")
    page.fill("input[name=email]", "zhouqian@example.com")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "邀请已发送" in page.content()
    assert StaffInvitation.objects.get(dealer=dealer).display_name == "周倩"
    assert OutboundMessage.objects.filter(to="zhouqian@example.com").count() == 1
