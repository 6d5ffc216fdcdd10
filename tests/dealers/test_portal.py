"""The portal and account-manager pages (Django test client)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from autofin.business_date import business_date_set
from autofin.models import OutboundMessage
from autofin.roles import Role
from dealers.models.accounts import BankAccountChange, SettlementAccount
from dealers.models.dealers import DealerLicence
from dealers.models.staff import DealerStaff
from dealers.portal import PORTAL_NAV, portal_nav
from dealers.services import (
    agreement_create,
    bank_account_change_approve,
    bank_account_change_prepare,
    commission_accrue,
    commission_clawback,
    commission_statement_for_month,
    dealer_grades_recompute,
    dealer_kpis_record,
)
from tests.dealers.test_grading import GOOD_MONTH
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer(make_dealer):
    return make_dealer(name="北京燕京之星汽车销售服务有限公司")


@pytest.fixture
def admin_client(dealer, make_staff):
    staff = make_staff(dealer, "dealer_admin")
    c = Client()
    c.force_login(staff.user)
    c.staff = staff
    return c


def test_portal_nav_skips_unknown_url_names(monkeypatch):
    entries = list(PORTAL_NAV)
    monkeypatch.setattr("dealers.portal.PORTAL_NAV", [*entries, ("不存在", "nowhere:missing")])
    names = [i["url"] for i in portal_nav("/dealer/")]
    assert "/dealer/" in names and "/dealer/kpis/" in names
    assert len(names) == len(entries)  # the unknown entry is skipped, every real one is shown


def test_home_shows_profile_masked_account_and_pending_change(dealer, admin_client, am):
    checker = UserFactory(roles=[Role.SYSTEM_ADMIN])
    bank_account_change_approve(
        actor=checker,
        change_id=bank_account_change_prepare(
            actor=am,
            dealer=dealer,
            account_name=dealer.legal_name,
            bank_name="北京银行",
            account_number="6029 6900 1234 5678",
        ).pk,
    )
    bank_account_change_prepare(
        actor=am,
        dealer=dealer,
        account_name=dealer.legal_name,
        bank_name="中国银行",
        account_number="6216 6100 0009 9999",
    )
    body = admin_client.get("/dealer/").content.decode()
    assert dealer.legal_name in body and dealer.uscc in body
    assert "6029********5678" in body
    assert "6029690012345678" not in body
    assert "6216********9999" in body and "账户变更待复核" in body


def test_licence_upload_and_download(dealer, admin_client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n%%EOF\n"
    r = admin_client.post(
        reverse("dealers:portal_licence_upload"),
        {"kind": "business_licence", "file": SimpleUploadedFile("执照.pdf", pdf)},
    )
    assert r.status_code == 302
    licence = DealerLicence.objects.get(dealer=dealer)
    assert licence.size == len(pdf)
    got = admin_client.get(reverse("dealers:licence_download", args=[licence.pk]))
    assert got.status_code == 200 and b"".join(got.streaming_content) == pdf
    r = admin_client.post(
        reverse("dealers:portal_licence_upload"),
        {"kind": "business_licence", "file": SimpleUploadedFile("x.pdf", b"MZ..")},
        follow=True,
    )
    assert "文件格式不支持" in r.content.decode()
    assert DealerLicence.objects.count() == 1


def test_sales_cannot_upload_or_invite(dealer, make_staff):
    sales = make_staff(dealer, "dealer_sales")
    c = Client()
    c.force_login(sales.user)
    assert c.post(reverse("dealers:portal_licence_upload"), {}).status_code == 403
    assert (
        c.post(
            reverse("dealers:portal_staff"),
            {"display_name": "x", "email": "x@e.com", "role": "dealer_sales"},
        ).status_code
        == 403
    )
    assert "发送邀请" not in c.get(reverse("dealers:portal_staff")).content.decode()


def test_invite_page_flow_and_deactivate(dealer, admin_client, make_staff):
    r = admin_client.post(
        reverse("dealers:portal_staff"),
        {"display_name": "周倩", "email": "zq@example.com", "role": "dealer_sales"},
    )
    assert r.status_code == 302
    body = OutboundMessage.objects.get(purpose="dealer_staff_invite").body
    # the link is built on SITE_URL, not on the request's Host header
    link = re.search(re.escape(settings.SITE_URL) + r"(/dealer/invite/[^/]+/)", body).group(1)
    anon = Client()
    assert "北京燕京之星" in anon.get(link).content.decode()
    r = anon.post(
        link, {"username": "zhouqian", "password1": "Xk9!mote-Qa", "password2": "Xk9!mote-Qa"}
    )
    assert r.status_code == 302 and r["Location"] == reverse("login")
    new = DealerStaff.objects.get(user__username="zhouqian")
    assert anon.get(link).status_code == 404  # used
    r = admin_client.post(reverse("dealers:portal_staff_deactivate", args=[new.pk]))
    new.refresh_from_db()
    assert r.status_code == 302 and new.active is False


def _statement(dealer):
    business_date_set(actor="test", date=dt.date(2026, 3, 15), reason="test")
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.015",
        clawback_share="0.5",
        effective_from=dt.date(2026, 1, 1),
    )
    commission_accrue(
        dealer=dealer,
        contract_ref="HT-0001",
        amount_financed="123456.78",
        funded_on=dt.date(2026, 2, 10),
        product_line="new",
        salesperson_name="  王小明 ",
    )
    commission_clawback(contract_ref="HT-0001", reason="default", event_date=dt.date(2026, 2, 27))
    return commission_statement_for_month(dealer=dealer, month=dt.date(2026, 2, 1))


def test_statement_csv(dealer, admin_client):
    statement = _statement(dealer)
    r = admin_client.get(reverse("dealers:portal_statement_csv", args=[statement.pk]))
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="commission-2026-02.csv"' in r["Content-Disposition"]
    assert r.content.decode("utf-8-sig").splitlines() == [
        "合同号,类型,日期,融资额,金额,销售顾问",
        # the clawback line names the salesperson of the commission it claws back
        "HT-0001,返佣,2026-02-10,123456.78,1851.85,王小明",
        "HT-0001,追回,2026-02-27,123456.78,-925.93,王小明",
        "合计,,,,925.92",
        "应付净额,,,,925.92",
        "付款状态,待付,,,",
    ]
    page = admin_client.get(reverse("dealers:portal_statements")).content.decode()
    assert "¥925.92" in page


def test_kpi_page_renders_inline_svg_bars(dealer, admin_client):
    for m, apps in ((1, 40), (2, 55)):
        dealer_kpis_record(
            dealer_id=dealer.pk,
            month=dt.date(2026, m, 1),
            figures={
                "applications": apps,
                "approval_rate": "0.5",
                "funded_count": 20,
                "funded_amount": "3000000.00",
                "avg_decision_hours": "2.5",
            },
        )
    body = admin_client.get(reverse("dealers:portal_kpis")).content.decode()
    assert body.count("<svg") == 4
    assert "<title>2026-02: 55</title>" in body
    assert "<title>2026-01: 50.0%</title>" in body
    assert "放款金额（万元）" in body and "300.0<" in body  # the unit is in the title
    assert "cdn" not in body.lower()


def test_agreements_and_statement_detail_pages(dealer, admin_client):
    statement = _statement(dealer)
    assert "1.50%" in admin_client.get(reverse("dealers:portal_agreements")).content.decode()
    detail = admin_client.get(reverse("dealers:portal_statement_detail", args=[statement.pk]))
    assert "-¥925.93" in detail.content.decode()
    # each line: the rate it was earned at and its payment status
    html = detail.content.decode()
    assert "返佣比例" in html and "付款日" in html
    assert 'data-testid="rate">1.50%' in html
    assert html.count('data-testid="pay-status">待付') == statement.lines.count()
    # and the salesperson it was earned by (issue #16)
    assert html.count('data-testid="salesperson" data-user-content>王小明<') == 2


def test_statement_line_without_a_salesperson_shows_a_dash(dealer, admin_client):
    business_date_set(actor="test", date=dt.date(2026, 3, 15), reason="test")
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.01",
        effective_from=dt.date(2026, 1, 1),
    )
    commission_accrue(
        dealer=dealer,
        contract_ref="HT-0002",
        amount_financed="100000.00",
        funded_on=dt.date(2026, 2, 10),
        product_line="new",
    )
    statement = commission_statement_for_month(dealer=dealer, month=dt.date(2026, 2, 1))
    detail = admin_client.get(reverse("dealers:portal_statement_detail", args=[statement.pk]))
    assert 'data-testid="salesperson" data-user-content>—<' in detail.content.decode()
    csv_text = admin_client.get(reverse("dealers:portal_statement_csv", args=[statement.pk]))
    assert "HT-0002,返佣,2026-02-10,100000.00,1000.00," in csv_text.content.decode("utf-8-sig")


def test_manager_pages_transition_recompute_and_maker_checker(dealer, am, business_today):
    checker = UserFactory(roles=[Role.FINANCE_APPROVER, Role.ACCOUNT_MANAGER])
    dealer.account_manager = am
    dealer.save()
    dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={dealer.pk: GOOD_MONTH})
    c = Client()
    c.force_login(am)
    home = c.get(reverse("dealers:manager_home")).content.decode()
    assert dealer.legal_name in home and ">B<" in home
    page = c.get(reverse("dealers:manager_dealer", args=[dealer.pk])).content.decode()
    assert "审批通过率" in page and "78.12" in page
    c.post(
        reverse("dealers:manager_dealer_transition", args=[dealer.pk]),
        {"to_status": "suspended", "reason": "逾期上升"},
    )
    dealer.refresh_from_db()
    assert dealer.status == "suspended"
    c.post(reverse("dealers:manager_grade_recompute", args=[dealer.pk]))
    assert dealer.grades.filter(as_of=business_today).exists()
    c.post(
        reverse("dealers:manager_bank_change_prepare", args=[dealer.pk]),
        {
            "account_name": dealer.legal_name,
            "bank_name": "招商银行",
            "account_number": "6225880011112222",
        },
    )
    change = BankAccountChange.objects.get(dealer=dealer)
    r = c.post(
        reverse("dealers:manager_bank_change_decide", args=[change.pk]),
        {"decision": "approve"},
        follow=True,
    )
    assert "复核人不能是经办人本人" in r.content.decode()
    assert not SettlementAccount.objects.exists()
    dealer.account_manager = checker
    dealer.save()
    c2 = Client()
    c2.force_login(checker)
    c2.post(
        reverse("dealers:manager_bank_change_decide", args=[change.pk]), {"decision": "approve"}
    )
    assert SettlementAccount.objects.get(dealer=dealer).active


def test_onboard_page_shows_uscc_error_on_the_field(am):
    c = Client()
    c.force_login(am)
    r = c.post(
        reverse("dealers:manager_onboard"),
        {
            "legal_name": "西安秦风汽车销售有限公司",
            "uscc": "91610113MA00000010",
            "dealer_type": "four_s",
            "province": "陕西省",
            "city": "西安市",
        },
    )
    assert r.status_code == 200
    assert "统一社会信用代码校验位不正确" in r.content.decode()


def test_a_dealer_sees_its_grade_letter_but_never_the_internal_score(dealer, admin_client):
    # the channel score (78.12) is risk's internal figure: the portal and the API show the
    # grade and its date only, the same in both
    dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={dealer.pk: GOOD_MONTH})
    home = admin_client.get("/dealer/").content.decode()
    assert 'data-testid="grade">B<' in home and "评级日：2026-02-28" in home  # ISO dates
    assert "78.12" not in home and "78.1" not in home and "得分" not in home
    profile = admin_client.get("/api/v1/dealer/profile/")
    assert profile.status_code == 200
    assert profile.json()["grade"] == {"grade": "B", "as_of": "2026-02-28"}
    assert "78.12" not in profile.content.decode()
