"""The complaint pages: the customer's own only (404 for another's), the agent's phone entry and
queue (breached first), the actions' role checks, the dealer portal's scope, the survey link and
the report with its CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from autofin.roles import Role
from dealers.models.dealers import Dealer
from dealers.models.staff import DealerStaff, StaffRole
from dealers.seed import uscc_make
from servicing.models import Complaint, Loan
from servicing.models.collections import CollectionCase
from servicing.models.surveys import SurveyInvitation
from servicing.services.complaints import workflow as wf
from servicing.services.complaints.surveys import survey_link
from tests.factories import UserFactory
from tests.servicing.loan_factory import loan_through_funding

pytestmark = pytest.mark.django_db


def _customer(phone):
    return UserFactory(roles=[Role.CUSTOMER], phone=phone)


def test_a_customer_files_a_complaint_and_sees_only_their_own(client):
    me, other = _customer("13922220001"), _customer("13922220002")
    theirs = wf.complaint_create(
        customer=other, channel="phone", category="pricing", summary="费用"
    )
    client.force_login(me)
    resp = client.post(
        reverse("servicing:my_complaint_new"),
        {
            "category": "pricing",
            "summary": "提前还款违约金过高",
            "detail": "请说明计算方法",
            "loan": "",
        },
    )
    mine = Complaint.objects.get(customer=me)
    assert resp.status_code == 302 and resp.url == reverse(
        "servicing:my_complaint_detail", args=[mine.pk]
    )
    assert mine.channel == "portal" and mine.created_by == me
    page = client.get(reverse("servicing:my_complaints")).content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert client.get(reverse("servicing:my_complaint_detail", args=[theirs.pk])).status_code == 404
    resp = client.post(
        reverse("servicing:my_complaint_answer", args=[theirs.pk]), {"answer": "confirm"}
    )
    assert resp.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "received"


def test_a_customer_cannot_name_someone_elses_loan(client):
    me, other = _customer("13922220003"), _customer("13922220004")
    loan = loan_through_funding(customer=other, amount="30000.00", term=12)
    client.force_login(me)
    resp = client.post(
        reverse("servicing:my_complaint_new"),
        {"category": "collection", "summary": "x", "loan": str(loan.pk)},
    )
    assert resp.status_code == 200 and not Complaint.objects.exists()


def test_agent_phone_entry_queue_and_actions(client):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    customer = _customer("13922220005")
    loan = loan_through_funding(customer=customer, amount="30000.00", term=12)
    client.force_login(agent)
    resp = client.post(
        reverse("servicing:complaint_new"),
        {
            "customer_phone": "13922220005",
            "contract_ref": loan.contract_ref,
            "category": "collection",
            "priority": "high",
            "summary": "催收电话骚扰家人",
        },
    )
    c = Complaint.objects.get()
    assert resp.status_code == 302
    assert (c.channel, c.loan_id, c.pauses_collections, c.created_by) == (
        "phone",
        loan.pk,
        True,
        agent,
    )
    # an older one, past its acknowledge deadline: listed first
    late = wf.complaint_create(
        customer=customer, channel="phone", category="service", summary="迟迟未受理"
    )
    past = timezone.now() - dt.timedelta(days=3)
    Complaint.objects.filter(pk=late.pk).update(
        received_at=past, acknowledge_due_at=past + dt.timedelta(days=1)
    )
    page = client.get(reverse("servicing:complaint_list")).content.decode()
    page = page[page.index('data-testid="complaint-queue"') :]  # past the flash message
    assert page.index(late.reference) < page.index(c.reference)
    assert "complaint-breached" in page and "已超时" in page
    client.post(reverse("servicing:complaint_action", args=[c.pk, "acknowledge"]))
    client.post(
        reverse("servicing:complaint_action", args=[c.pk, "resolve"]), {"text": "已核实并整改。"}
    )
    c.refresh_from_db()
    assert (c.status, c.assigned_to, c.resolution) == ("resolved", agent, "已核实并整改。")
    # the agent cannot clear the collections pause
    client.post(reverse("servicing:complaint_action", args=[c.pk, "review"]), {"text": "ok"})
    c.refresh_from_db()
    assert c.collections_reviewed_at is None


def test_staff_pages_refuse_customers_and_collectors(client):
    c = wf.complaint_create(
        customer=_customer("13922220006"), channel="phone", category="other", summary="x"
    )
    for user in (_customer("13922220007"), UserFactory(roles=[Role.COLLECTOR])):
        client.force_login(user)
        assert client.get(reverse("servicing:complaint_list")).status_code == 403
        assert client.get(reverse("servicing:complaint_detail", args=[c.pk])).status_code == 403
        assert (
            client.post(
                reverse("servicing:complaint_action", args=[c.pk, "acknowledge"])
            ).status_code
            == 403
        )
        assert client.get(reverse("servicing:complaint_report")).status_code == 403
    c.refresh_from_db()
    assert c.status == "received"


def test_a_dealer_refers_complaints_only_for_its_own_loans(client):
    customer = _customer("13922220008")
    loan = loan_through_funding(customer=customer, amount="30000.00", term=12)
    own, stranger = (
        Dealer.objects.create(
            legal_name=name,
            uscc=uscc_make("310115", n),
            dealer_type="four_s",
            province="上海市",
            city="上海市",
        )
        for n, name in ((9811, "本店车行"), (9812, "别家车行"))
    )
    # a loan sold through the dealer's channel carries its dealer (the factory's is direct)
    Loan.objects.filter(pk=loan.pk).update(dealer_id=own.pk)
    for dealer, expect_made in ((stranger, False), (own, True)):
        user = UserFactory()
        DealerStaff.objects.create(user=user, dealer=dealer, role=StaffRole.DEALER_SALES)
        client.force_login(user)
        client.post(
            reverse("servicing:dealer_complaint_new"),
            {
                "contract_ref": loan.contract_ref,
                "category": "service",
                "summary": "客户反映还款提醒太频繁",
            },
        )
        assert Complaint.objects.filter(dealer_id=dealer.pk).exists() is expect_made
    c = Complaint.objects.get()
    assert (c.channel, c.customer, c.loan) == ("dealer", customer, loan)


def test_survey_page_without_login_one_answer(client):
    inv = SurveyInvitation.objects.create(customer=_customer("13922220009"), occasion="funded")
    url = survey_link(inv)
    assert "评价" in client.get(url).content.decode()
    client.post(url, {"score": "5", "comment": "很好"})
    client.post(url, {"score": "1", "comment": "改主意了"})
    inv.refresh_from_db()
    assert (inv.score, inv.comment) == (5, "很好")
    assert client.get(url[:-3] + "zz/").status_code == 404


def test_report_page_and_csv_with_bom(client):
    wf.complaint_create(
        customer=_customer("13922220010"), channel="portal", category="pricing", summary="x"
    )
    client.force_login(UserFactory(roles=[Role.CARE_SUPERVISOR]))
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("servicing:complaint_report"), {"month": month}).content.decode()
    assert "定价收费" in page
    resp = client.get(reverse("servicing:complaint_report_csv"), {"month": month})
    body = resp.content.decode("utf-8")
    assert body.startswith("\ufeff") and "投诉总数,1" in body and "定价收费,1" in body


def test_the_collectors_case_page_and_queue_show_the_pause(client):
    customer = _customer("13922220011")
    loan = loan_through_funding(customer=customer, amount="30000.00", term=12)
    Loan.objects.filter(pk=loan.pk).update(status="overdue")
    case = CollectionCase.objects.create(
        loan=loan,
        queue="soft",
        bucket="M1",
        dpd=3,
        opened_on=loan.value_date,
        amount_overdue=Decimal("100.00"),
    )
    client.force_login(UserFactory(roles=[Role.COLLECTOR]))
    assert (
        "暂停催收"
        not in client.get(reverse("servicing:collections_case", args=[case.pk])).content.decode()
    )
    wf.complaint_create(
        customer=customer, channel="phone", category="collection", summary="x", loan=loan
    )
    assert (
        "暂停催收联系"
        in client.get(reverse("servicing:collections_case", args=[case.pk])).content.decode()
    )
    assert (
        'data-testid="contact-paused"'
        in client.get(reverse("servicing:collections_queue")).content.decode()
    )
