"""One customer, one view (issue 21 §1): the agent's customer search by every key, who may open
the page, the audited reveal, the timeline's contents and order, and its fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from autofin.crypto import decrypt
from autofin.models import AuditEntry, OutboundMessage
from autofin.notifications import notification_send
from autofin.roles import Role
from origination.models.applications import Applicant, Application
from servicing.models import MarketingConsent
from servicing.models.collections import (
    CollectionCase,
    ContactAttempt,
    LoanRiskProfile,
    LoanTask,
    PromiseToPay,
)
from servicing.models.customers import Complaint, Offer
from servicing.models.leases import InsurancePolicy
from servicing.selectors.customers import PAGE_SIZE, customer_search, customer_view
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_factory import VALUE_DATE, loan_through_funding

pytestmark = pytest.mark.django_db(transaction=False)

PHONE = "13766660001"


@pytest.fixture
def funded():
    customer = UserFactory(roles=[Role.CUSTOMER], phone=PHONE, display_name="欧阳晓明")
    loan = loan_through_funding(customer=customer, amount="80000.00", term=12)
    app = Application.objects.get(pk=loan.application_id)
    applicant = Applicant.objects.get(application=app, role="primary")
    return {
        "customer": customer,
        "loan": loan,
        "app": app,
        "id_number": decrypt(applicant.id_number_enc),
    }


@pytest.fixture
def agent():
    return UserFactory(roles=[Role.SERVICING_AGENT])


def _history(funded, *, extra_messages: int = 0) -> None:
    """Rows of every other kind on the customer's loan, as their own streams would make them."""
    customer, loan = funded["customer"], funded["loan"]
    collector = UserFactory(roles=[Role.COLLECTOR])
    now = timezone.now()
    case = CollectionCase.objects.create(
        loan=loan, queue="soft", bucket="M1", dpd=5, amount_overdue=Decimal("7000.00"),
        opened_on=VALUE_DATE + dt.timedelta(days=40),
    )  # fmt: skip
    ContactAttempt.objects.create(
        case=case, collector=collector, party="borrower", channel="phone", outcome="promise",
        note="客户承诺周五还款", discloses_debt=True, business_date=VALUE_DATE, at=now,
    )  # fmt: skip
    PromiseToPay.objects.create(
        case=case, promised_date=VALUE_DATE + dt.timedelta(days=45), amount=Decimal("7000.00"),
        made_on=VALUE_DATE + dt.timedelta(days=41), created_by=collector,
    )  # fmt: skip
    LoanTask.objects.create(
        loan=loan, kind="insurance_expiring", ref_date=VALUE_DATE + dt.timedelta(days=300),
        business_date=VALUE_DATE,
    )  # fmt: skip
    InsurancePolicy.objects.create(
        loan=loan, vin=loan.vin, insurer_name="沙盒财产保险", policy_number="PDAA2026000001",
        premium=Decimal("4800.00"), starts_on=VALUE_DATE, ends_on=VALUE_DATE + dt.timedelta(days=365),
    )  # fmt: skip
    MarketingConsent.objects.create(customer=customer, given_via="portal")
    Complaint.objects.create(
        reference="TS2026000001", customer=customer, loan=loan, channel="phone",
        category="collection", summary="催收电话过于频繁", received_at=now,
        acknowledge_due_at=now + dt.timedelta(days=1), resolve_due_at=now + dt.timedelta(days=15),
    )  # fmt: skip
    Offer.objects.create(
        customer=customer, kind="maintenance", loan=loan, limit_amount=Decimal("20000.00"),
        annual_rate=Decimal("0.068"), max_term_months=12, expires_on=VALUE_DATE + dt.timedelta(days=90),
    )  # fmt: skip
    LoanRiskProfile.objects.update_or_create(loan=loan, defaults={"level": "medium"})
    row = loan.schedule.filter(superseded_by_version__isnull=True).order_by("instalment_no")[0]
    repayment_post(
        loan_id=loan.pk, amount=row.instalment, source="online", actor="customer",
        business_date=row.due_date,
    )  # fmt: skip
    for n in range(extra_messages):
        notification_send(channel="sms", to=customer.phone, body=f"还款提醒第 {n} 条。")


# --- search -------------------------------------------------------------------------------------


def test_search_finds_the_customer_by_each_key(funded):
    customer, loan = funded["customer"], funded["loan"]
    other = UserFactory(roles=[Role.CUSTOMER], phone="13766660099", display_name="李四")
    keys = {
        "name": "晓明",
        "mobile": PHONE,
        "id_number": funded["id_number"],
        "id_number_lower_x": funded["id_number"].lower(),
        "contract": loan.contract_ref,
        "vin": loan.vin.lower(),
    }
    for key, query in keys.items():
        found = customer_search(query=f" {query} ")
        assert [u.pk for u in found] == [customer.pk], key
        assert found[0].loan_count == 1
    # an ID number is matched whole, through its hash: part of one finds nobody
    assert customer_search(query=funded["id_number"][:-1]) == []
    assert customer_search(query="13766660002") == []
    assert [u.pk for u in customer_search(query="李四")] == [other.pk]


def test_search_page_lists_masked_customers(client, funded, agent):
    client.force_login(agent)
    response = client.get(reverse("servicing:customer_search"), {"q": PHONE})
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("servicing:customer_detail", args=[funded["customer"].pk]) in body
    results = body[body.index('data-testid="customer-results"') :]
    assert "137****0001" in results and PHONE not in results


# --- who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.DEALER_SALES, Role.MARKETING])
def test_customers_dealers_and_others_are_refused(client, funded, role):
    client.force_login(UserFactory(roles=[role]))
    customer = funded["customer"]
    assert client.get(reverse("servicing:customer_search"), {"q": PHONE}).status_code == 403
    assert client.get(reverse("servicing:customer_detail", args=[customer.pk])).status_code == 403
    response = client.post(
        reverse("servicing:customer_reveal", args=[customer.pk]), {"reason": "客户来电核实"}
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="customer_identity_reveal").exists()


def test_the_customer_of_a_page_must_be_a_customer(client, agent):
    client.force_login(agent)
    colleague = UserFactory(roles=[Role.COLLECTOR])
    assert client.get(reverse("servicing:customer_detail", args=[colleague.pk])).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.COLLECTOR, Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.AUDITOR]
)
def test_back_office_roles_read_the_page(client, funded, role):
    client.force_login(UserFactory(roles=[role]))
    response = client.get(reverse("servicing:customer_detail", args=[funded["customer"].pk]))
    assert response.status_code == 200
    assert funded["loan"].contract_ref in response.content.decode()
    # the auditor reads only: no reveal form
    assert ('data-testid="reveal-form"' in response.content.decode()) is (role != Role.AUDITOR)


def test_the_auditor_may_not_reveal(client, funded):
    client.force_login(UserFactory(roles=[Role.AUDITOR]))
    url = reverse("servicing:customer_reveal", args=[funded["customer"].pk])
    response = client.post(url, {"reason": "抽查客户信息"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="customer_identity_reveal").exists()


# --- the reveal ---------------------------------------------------------------------------------


def test_reveal_shows_the_full_identity_once_and_is_audited(client, funded, agent):
    customer = funded["customer"]
    client.force_login(agent)
    page = client.get(reverse("servicing:customer_detail", args=[customer.pk])).content.decode()
    assert PHONE not in page and funded["id_number"] not in page
    assert "137****0001" in page

    response = client.post(
        reverse("servicing:customer_reveal", args=[customer.pk]), {"reason": "客户来电核实身份"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert PHONE in body and funded["id_number"] in body
    entry = AuditEntry.objects.get(action="customer_identity_reveal")
    assert entry.actor_id == agent.pk
    assert entry.object_id == str(customer.pk)
    assert entry.reason == "客户来电核实身份"
    assert funded["id_number"] not in str(entry.data) and PHONE not in str(entry.data)
    # that request only: the next page is masked again
    again = client.get(reverse("servicing:customer_detail", args=[customer.pk])).content.decode()
    assert PHONE not in again and funded["id_number"] not in again


@pytest.mark.parametrize("reason", ["", "   ", "看看"])
def test_reveal_without_a_reason_is_refused_and_writes_nothing(client, funded, agent, reason):
    client.force_login(agent)
    response = client.post(
        reverse("servicing:customer_reveal", args=[funded["customer"].pk]), {"reason": reason}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert PHONE not in body and funded["id_number"] not in body
    assert not AuditEntry.objects.filter(action="customer_identity_reveal").exists()


# --- the timeline -------------------------------------------------------------------------------


def test_timeline_has_every_kind_newest_first_in_chinese(funded, agent):
    _history(funded)
    customer, loan = funded["customer"], funded["loan"]
    view = customer_view(customer=customer, viewer=agent)
    loan.refresh_from_db()

    kinds = {item.kind for item in view.items}
    assert kinds >= {
        "application", "contract", "loan", "payment", "contact", "message", "consent",
        "complaint", "task", "collection", "promise", "offer", "insurance",
    }  # fmt: skip
    assert [i.at for i in view.items] == sorted((i.at for i in view.items), reverse=True)
    assert view.loans_in_force == 1
    assert view.outstanding == loan.principal_outstanding
    assert view.marketing_consent is True
    assert view.risk_label == "中"
    assert view.phone_masked == "137****0001"
    assert view.name_masked == "欧**明"
    titles = " ".join(f"{i.title} {i.detail}" for i in view.items)
    for text in ("催收", "承诺", "保险即将到期", "保养分期", "营销授权：已同意", "已签署"):
        assert text in titles, text
    # labels, never the codes behind them
    for code in ("insurance_expiring", "maintenance", "collection", "promise", "soft", "borrower"):
        assert code not in titles, code
    # one-time codes texted to the customer are not shown to the agent
    sign_codes = OutboundMessage.objects.filter(to=PHONE, purpose__startswith="sms_code_")
    assert sign_codes.exists()
    for message in sign_codes:
        assert message.body not in titles
    # the loan links to its page for an agent
    loan_url = reverse("servicing:loan_detail", args=[loan.pk])
    assert any(i.url == loan_url for i in view.items if i.kind == "loan")


def test_links_follow_the_viewers_role(funded):
    compliance = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    view = customer_view(customer=funded["customer"], viewer=compliance)
    assert not [i for i in view.items if i.kind in ("loan", "application") and i.url]


def test_timeline_filters_by_kind_and_pages(funded, agent):
    _history(funded, extra_messages=PAGE_SIZE + 5)
    customer = funded["customer"]
    only = customer_view(customer=customer, viewer=agent, kind="message")
    assert {i.kind for i in only.items} == {"message"}
    assert len(only.items) == PAGE_SIZE and only.has_more
    messages = OutboundMessage.objects.filter(to=PHONE).count()
    second = customer_view(customer=customer, viewer=agent, kind="message", page=2)
    assert len(second.items) == messages - PAGE_SIZE and not second.has_more
    assert second.items[0].at <= only.items[-1].at
    everything = customer_view(customer=customer, viewer=agent)
    assert len(everything.items) == PAGE_SIZE and everything.has_more


def test_the_page_takes_a_fixed_number_of_queries(funded, agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as small:
        customer_view(customer=funded["customer"], viewer=agent)
    loan_through_funding(customer=funded["customer"], amount="40000.00", term=24)
    _history(funded, extra_messages=80)
    with django_assert_max_num_queries(20) as large:
        view = customer_view(customer=funded["customer"], viewer=agent)
    assert view.loans_in_force == 2
    # the viewer's roles are read once per request (cached on the user): no more queries after
    assert len(large.captured_queries) <= len(small.captured_queries)


def test_the_agent_loan_page_links_to_the_customer(client, funded, agent):
    client.force_login(agent)
    body = client.get(reverse("servicing:loan_detail", args=[funded["loan"].pk])).content.decode()
    assert reverse("servicing:customer_detail", args=[funded["customer"].pk]) in body


def test_the_customer_page_renders_the_timeline_with_a_kind_filter(client, funded, agent):
    _history(funded)
    client.force_login(agent)
    url = reverse("servicing:customer_detail", args=[funded["customer"].pk])
    body = client.get(url, {"kind": "complaint"}).content.decode()
    assert "TS2026000001" in body and "催收电话过于频繁" in body
    assert funded["loan"].contract_ref + " 放款" not in body
    assert 'data-testid="marketing-consent">已同意' in body


def test_timeline_shows_the_complaint_trail_with_chinese_event_labels(funded, agent):
    from servicing.services.complaints import workflow as wf

    complaint = wf.complaint_create(
        customer=funded["customer"], channel="phone", category="collection",
        summary="催收电话过于频繁", loan=funded["loan"], created_by=agent,
    )  # fmt: skip
    wf.complaint_acknowledge(complaint_id=complaint.pk, actor=agent)
    wf.complaint_resolve(complaint_id=complaint.pk, actor=agent, resolution="已调整联系频率。")
    items = customer_view(customer=funded["customer"], viewer=agent, kind="complaint").items
    titles = [item.title for item in items]
    ref = complaint.reference
    assert f"投诉 {ref} · 提交处理结果" in titles and f"投诉 {ref} · 已受理" in titles
    # the trail's first event is the complaint's own item, not a second line
    assert not any("收到投诉" in title for title in titles)
    # no raw event code reaches the page
    assert not any(code in title for title in titles for code in ("acknowledged", "resolved"))
    resolved = next(item for item in items if "提交处理结果" in item.title)
    assert resolved.detail == "已调整联系频率。"
