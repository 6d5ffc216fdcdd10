"""The floor-plan pages (库存融资): the dealer portal's line use, advances and request form
(refusals on the form in Chinese, nothing written), scoped to the signed-in dealer; the line
statement and its CSV; finance's page where one person approves and another releases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from autofin.roles import Role
from dealers.models.dealers import Dealer, DealerStatus
from dealers.seed import uscc_make
from dealers.services import staff_create
from origination.models.floorplan import FloorplanLine
from origination.services.floorplan import line_freeze, line_open
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.floorplan import FloorplanAdvance, FloorplanPayment
from servicing.services.floorplan.advances import advance_approve, advance_release
from servicing.services.floorplan.bank import floorplan_advance_send
from tests.factories import UserFactory
from tests.servicing.disbursement_support import next_serial, register_payee

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal
VIN = "LSVAU2182N2183256"
OEM = "上汽大众汽车有限公司"


@pytest.fixture
def line(dealer, today):
    senior = UserFactory(roles=[Role.SENIOR_UNDERWRITER])
    return line_open(
        dealer_id=dealer.pk,
        limit=D("1000000.00"),
        annual_rate=D("0.055"),
        curtailment_plan=[[90, 10], [120, 30], [180, 100]],
        by=senior,
        reason="厂家三方回购",
    )


def _staff(dealer, role: str):
    user = UserFactory(roles=[role])
    staff_create(actor="seed", dealer=dealer, user=user, role=role)
    return user


@pytest.fixture
def dealer_admin(dealer):
    return _staff(dealer, "dealer_admin")


def _form(**over) -> dict:
    return {
        "token": over.pop("token", "t1"),
        "vin": VIN.lower(),
        "model_name": "大众 帕萨特 2026 款 330TSI",
        "invoice_price": "300,000.00",
        "oem_invoice_number": "31000261234",
        "amount": "270000",
        "payee_kind": "dealer",
        **over,
    }


def test_the_portal_shows_the_line_use_and_the_nav(client, line, dealer_admin):
    client.force_login(dealer_admin)
    page = client.get(reverse("servicing:dealer_floorplan")).content.decode()
    assert 'href="/dealer/floorplan/" aria-current="page"' in page
    assert "¥1,000,000.00" in page and "正常" in page
    assert 'data-testid="line-available">¥1,000,000.00' in page
    assert reverse("servicing:dealer_floorplan_request") in page


def test_refusals_come_back_on_the_form_and_write_nothing(client, line, dealer_admin):
    client.force_login(dealer_admin)
    url = reverse("servicing:dealer_floorplan_request")
    over_price = client.post(url, _form(amount="300000.01"))
    assert over_price.status_code == 400
    assert "不能超过发票价格" in over_price.content.decode()
    over_limit = client.post(url, _form(token="t2", invoice_price="1200000", amount="1000000.01"))
    assert over_limit.status_code == 400
    assert "超过可用额度" in over_limit.content.decode()
    no_oem = client.post(url, _form(token="t3", payee_kind="oem"))
    assert "请选择登记簿中的主机厂收款方。" in no_oem.content.decode()
    assert not FloorplanAdvance.objects.exists()
    line.refresh_from_db()
    assert line.used_amount == D("0.00")


def test_a_request_takes_its_share_of_the_line(client, line, dealer_admin, maker, checker):
    oem = register_payee(maker, checker, payee_type="oem", name=OEM, account="6222021006000777")
    client.force_login(dealer_admin)
    response = client.post(
        reverse("servicing:dealer_floorplan_request"),
        _form(payee_kind="oem", oem_payee=oem.pk),
    )
    assert response.status_code == 302
    advance = FloorplanAdvance.objects.get()
    assert (advance.vin, advance.amount, advance.status) == (VIN, D("270000.00"), "requested")
    assert (advance.payee_name, advance.requested_by) == (OEM, dealer_admin)
    page = client.get(reverse("servicing:dealer_floorplan")).content.decode()
    assert VIN in page and "待审批" in page and "待收取" in page
    assert 'data-testid="line-used">¥270,000.00' in page
    assert 'data-testid="line-available">¥730,000.00' in page
    # the same VIN again: refused by the service, nothing more written
    again = client.post(reverse("servicing:dealer_floorplan_request"), _form(token="t9"))
    assert f"车架号 {VIN} 已有库存融资。" in again.content.decode()
    assert FloorplanAdvance.objects.count() == 1


def test_a_frozen_line_takes_no_request(client, line, dealer_admin):
    line_freeze(line=line, reason="盘库发现违规售车", by="stock_audit")
    client.force_login(dealer_admin)
    page = client.get(reverse("servicing:dealer_floorplan")).content.decode()
    assert "已冻结" in page and "盘库发现违规售车" in page
    assert reverse("servicing:dealer_floorplan_request") not in page
    refused = client.post(reverse("servicing:dealer_floorplan_request"), _form())
    assert refused.status_code == 400
    assert "已冻结" in refused.content.decode()
    assert not FloorplanAdvance.objects.exists()


def test_sales_see_the_line_but_do_not_request(client, line, dealer):
    sales = _staff(dealer, "dealer_sales")
    client.force_login(sales)
    page = client.get(reverse("servicing:dealer_floorplan")).content.decode()
    assert "¥1,000,000.00" in page
    assert reverse("servicing:dealer_floorplan_request") not in page
    assert client.post(reverse("servicing:dealer_floorplan_request"), _form()).status_code == 403
    assert not FloorplanAdvance.objects.exists()


def _other_dealer() -> Dealer:
    n = next_serial() % 9000
    return Dealer.objects.create(
        legal_name=f"杭州测试汽车销售有限公司{n}",
        uscc=uscc_make("330106", 1000 + n),
        dealer_type="four_s",
        province="浙江省",
        city="杭州市",
        status=DealerStatus.ACTIVE,
    )


def test_another_dealer_sees_none_of_it(client, line, dealer_admin):
    client.force_login(dealer_admin)
    client.post(reverse("servicing:dealer_floorplan_request"), _form(), follow=True)
    assert FloorplanAdvance.objects.count() == 1
    other_admin = _staff(_other_dealer(), "dealer_admin")
    client.force_login(other_admin)
    page = client.get(reverse("servicing:dealer_floorplan")).content.decode()
    assert VIN not in page and "尚未开立库存融资额度" in page
    assert client.get(reverse("servicing:dealer_floorplan_statement_csv")).status_code == 403


def test_the_statement_and_its_csv(client, line, dealer_admin):
    client.force_login(dealer_admin)
    client.post(reverse("servicing:dealer_floorplan_request"), _form())
    page = client.get(reverse("servicing:dealer_floorplan_statement")).content.decode()
    assert VIN in page and "¥730,000.00" in page
    csv_text = client.get(reverse("servicing:dealer_floorplan_statement_csv")).content.decode()
    rows = csv_text.lstrip("\ufeff").strip().splitlines()
    # the line's figures first (the requested car already takes its share), then the movements:
    # none yet, as nothing is funded
    assert rows[:3] == ["授信额度,1000000.00", "已用额度,270000.00", "可用额度,730000.00"]
    assert rows[-1] == "日期,项目,车架号,金额,本金变动,利息变动"


def test_finance_approves_and_another_person_releases(
    client, line, dealer_admin, maker, checker, checker2
):
    client.force_login(dealer_admin)
    client.post(reverse("servicing:dealer_floorplan_request"), _form())
    advance = FloorplanAdvance.objects.get()

    client.force_login(checker)
    board = client.get(reverse("servicing:floorplan_board")).content.decode()
    assert VIN in board and f'data-testid="approve-{advance.pk}"' in board
    client.post(reverse("servicing:floorplan_advance_approve", args=[advance.pk]), {"token": "a1"})
    advance.refresh_from_db()
    assert (advance.status, advance.approved_by, advance.needs_checker) == (
        "approved",
        checker,
        True,  # ¥270,000 is above the ¥200,000 checker threshold
    )
    board = client.get(reverse("servicing:floorplan_board")).content.decode()
    assert f'data-testid="release-{advance.pk}"' not in board
    assert f'data-testid="own-approval-{advance.pk}"' in board
    refused = client.post(
        reverse("servicing:floorplan_advance_release", args=[advance.pk]),
        {"token": "r1", "confirm": "1"},
        follow=True,
    )
    assert "放行人不能是审批人本人" in refused.content.decode()
    advance.refresh_from_db()
    assert advance.status == "approved" and advance.released_by is None

    # the maker role may approve but never release
    client.force_login(maker)
    forbidden = client.post(
        reverse("servicing:floorplan_advance_release", args=[advance.pk]),
        {"token": "r2", "confirm": "1"},
    )
    assert forbidden.status_code == 403

    client.force_login(checker2)
    client.post(
        reverse("servicing:floorplan_advance_release", args=[advance.pk]),
        {"token": "r3", "confirm": "1"},
    )
    advance.refresh_from_db()
    assert (advance.status, advance.released_by) == ("released", checker2)
    assert advance.idempotency_key


def test_the_finance_page_needs_a_finance_role(client, line, dealer_admin):
    client.force_login(dealer_admin)
    assert client.get(reverse("servicing:floorplan_board")).status_code == 403
    for role in (Role.UNDERWRITER, Role.SERVICING_AGENT):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:floorplan_board")).status_code == 403
    assert FloorplanLine.objects.get().used_amount == D("0.00")


def test_finance_holds_the_certificate_and_records_the_dealers_payoff(
    client, line, dealer_admin, maker, checker, checker2
):
    client.force_login(dealer_admin)
    client.post(reverse("servicing:dealer_floorplan_request"), _form())
    advance = FloorplanAdvance.objects.get()
    advance_approve(advance, checker)
    advance_release(advance, checker2)
    floorplan_advance_send(advance_id=advance.pk)
    SandboxBank().callback_deliver(FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key)
    advance.refresh_from_db()
    assert (advance.status, advance.principal_outstanding) == ("funded", D("270000.00"))

    client.force_login(maker)
    url = reverse("servicing:floorplan_certificate_receive", args=[advance.pk])
    client.post(url, {"token": "c1", "certificate_no": "WDK123456789012"})
    advance.refresh_from_db()
    assert (advance.certificate_status, advance.certificate_no) == ("held", "WDK123456789012")

    payoff = reverse("servicing:floorplan_payoff_record", args=[advance.pk])
    too_much = client.post(
        payoff, {"token": "p0", "amount": "270000.01", "bank_ref": "CMB001"}, follow=True
    )
    assert "超过应还合计" in too_much.content.decode()
    assert not FloorplanPayment.objects.exists()
    client.post(payoff, {"token": "p1", "amount": "270,000.00", "bank_ref": "CMB001"})
    payment = FloorplanPayment.objects.get()
    assert (payment.amount, payment.interest_part, payment.principal_part) == (
        D("270000.00"),
        D("0.00"),
        D("270000.00"),
    )
    advance.refresh_from_db()
    assert (advance.status, advance.principal_outstanding, advance.certificate_status) == (
        "settled",
        D("0.00"),
        "released",
    )
    line.refresh_from_db()
    assert line.used_amount == D("0.00")
