"""The customer's portal and the agent's loan page (Django client), the loans API with
Idempotency-Key, and the customer's pay-now and payoff paths in a real phone browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from autofin.models import ApprovalRequest, OutboundMessage
from autofin.roles import Role
from servicing.adapters import SandboxPaymentProvider
from servicing.models.loans import Loan
from servicing.models.repayments import PaymentOrder, Repayment
from servicing.services.accrual import loan_accrue
from servicing.services.repayments.posting import repayment_post
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day


@pytest.fixture
def customer():
    return UserFactory(roles=[Role.CUSTOMER], phone="13912345678")


@pytest.fixture
def agent():
    return UserFactory(roles=[Role.SERVICING_AGENT])


@pytest.mark.django_db
def test_customer_sees_only_own_loans(client, customer):
    mine = make_loan(customer=customer)
    other = make_loan()
    set_day(dt.date(2026, 2, 10))
    client.force_login(customer)
    page = client.get(reverse("servicing:my_loans"))
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.contract_ref in text and other.contract_ref not in text
    assert "¥10,377.97" in text and "2026-02-15" in text
    assert client.get(reverse("servicing:my_loan_detail", args=[other.pk])).status_code == 404
    detail = client.get(reverse("servicing:my_loan_detail", args=[mine.pk])).content.decode()
    assert "下载已签合同" in detail  # the loan was funded from her signed contract
    assert client.get(reverse("servicing:loan_search")).status_code == 403


@pytest.mark.django_db
def test_agent_pages_and_manual_posting(client, agent):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    found = client.get(reverse("servicing:loan_search"), {"q": loan.contract_ref})
    assert loan.contract_ref in found.content.decode()
    detail = client.get(reverse("servicing:loan_detail", args=[loan.pk]))
    assert detail.status_code == 200
    assert "重组（展期）" not in detail.content.decode()  # no permission
    bad = client.post(
        reverse("servicing:loan_manual_repayment", args=[loan.pk]),
        {"amount": "-5", "evidence": "", "token": "t1"},
    )
    assert bad.status_code == 400 and Repayment.objects.count() == 0
    ok = client.post(
        reverse("servicing:loan_manual_repayment", args=[loan.pk]),
        {"amount": "10377.97", "evidence": "工行 8899", "token": "t2"},
    )
    assert ok.status_code == 302
    client.post(
        reverse("servicing:loan_manual_repayment", args=[loan.pk]),
        {"amount": "10377.97", "evidence": "工行 8899", "token": "t2"},
    )
    assert Repayment.objects.count() == 1
    client.post(reverse("servicing:loan_note", args=[loan.pk]), {"body": "客户来电确认"})
    assert loan.notes.count() == 1
    agent.user_permissions.add(Permission.objects.get(codename="restructure_loan"))
    response = client.post(
        reverse("servicing:loan_restructure", args=[loan.pk]),
        {"term_months": "18", "reason": "客户申请展期"},
    )
    assert response.status_code == 302
    # Four eyes: submitted; the loan is untouched until a second authorised person approves.
    assert "已提交复核" in client.get(response.url).content.decode()
    loan.refresh_from_db()
    assert (loan.status, loan.schedule_version) == ("active", 1)
    client.force_login(UserFactory(roles=[Role.SENIOR_UNDERWRITER]))
    [pending] = ApprovalRequest.objects.filter(status="pending", action="loan_restructure")
    assert client.post(reverse("approval_approve", args=[pending.pk])).status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.schedule_version) == ("restructured", 2)
    assert_ledger_matches(loan)


@pytest.mark.django_db
def test_api_repayments_need_and_honour_idempotency_keys(client, agent, customer):
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    body = {"amount": "10377.97", "evidence": "转账"}
    assert client.post(url, body, content_type="application/json").status_code == 400
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    # a replay gets the original response, status included
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert first.json() == again.json()
    assert first.json()["allocations"][0] == {
        "instalment_no": 1,
        "component": "fee",
        "amount": "50.00",
    }
    conflict = client.post(
        url, {**body, "amount": "1.00"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1"
    )
    assert conflict.status_code == 422 and Repayment.objects.count() == 1
    # the customer pays online through the API and the provider calls back (twice)
    client.force_login(customer)
    created = client.post(
        f"/api/v1/loans/{loan.pk}/payments/",
        {"amount": "500.00"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p1",
    )
    assert created.status_code == 201
    provider = SandboxPaymentProvider()
    payload = provider.callback_payload(
        provider_ref=created.json()["provider_ref"], amount=D("500")
    )
    for _ in range(2):  # the provider retries: a new message (timestamp, nonce) each time
        headers, body = provider.callback_signed(payload)
        callback = client.post(
            "/api/v1/loans/payments/callback/",
            body,
            content_type="application/json",
            headers=headers,
        )
        assert callback.status_code == 200 and callback.json()["status"] == "paid"
    forged = client.post(
        "/api/v1/loans/payments/callback/", payload, content_type="application/json"
    )
    assert forged.status_code == 403
    replayed = client.post(
        "/api/v1/loans/payments/callback/", body, content_type="application/json", headers=headers
    )
    assert replayed.status_code == 403
    assert Repayment.objects.filter(source="online").count() == 1
    assert client.get(f"/api/v1/loans/{loan.pk}/").json()["suspense_balance"] == "500.00"
    assert_ledger_matches(loan)


@pytest.mark.django_db
def test_contact_change_needs_the_sms_code(client, customer):
    client.force_login(customer)
    url = reverse("servicing:my_contact")
    client.post(url, {"step": "send", "phone": "13700001111"})
    sms = OutboundMessage.objects.get(to="13700001111")
    code = re.search(r"(\d{6})", sms.body).group(1)
    client.post(url, {"step": "verify", "code": "000000" if code != "000000" else "111111"})
    customer.refresh_from_db()
    assert customer.phone == "13912345678"
    client.post(url, {"step": "verify", "code": code})
    customer.refresh_from_db()
    assert customer.phone == "13700001111"


# --- browser -------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_pay_now_through_the_sandbox_cashier(live_server, phone_page, browser_login):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912345678")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 10))
    browser_login(phone_page, customer.username, PASSWORD)
    phone_page.goto(f"{live_server.url}{reverse('servicing:my_loans')}")
    assert phone_page.get_by_test_id("next-due-amount").inner_text() == "¥10,377.97"
    phone_page.get_by_role("link", name="查看与还款").click()
    phone_page.get_by_test_id("pay-now").click()
    assert phone_page.get_by_test_id("pay-amount").inner_text() == "¥10,377.97"
    phone_page.get_by_test_id("confirm-pay").click()
    phone_page.wait_for_url(f"**/my/loans/{loan.pk}/")
    assert "支付成功" in phone_page.locator(".messages").inner_text()
    first_row = phone_page.locator("[data-testid=schedule] tbody tr").first
    assert first_row.get_attribute("data-status") == "paid"
    assert PaymentOrder.objects.get().status == "paid"
    assert rows(loan)[0].status == "paid"
    assert_ledger_matches(loan)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_payoff_quote_and_settlement(live_server, phone_page, browser_login):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912345678")
    loan = make_loan(customer=customer)
    for row in rows(loan)[:3]:
        set_day(row.due_date)
        repayment_post(loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank")
    set_day(dt.date(2026, 4, 20))
    browser_login(phone_page, customer.username, PASSWORD)
    phone_page.goto(f"{live_server.url}{reverse('servicing:my_loan_detail', args=[loan.pk])}")
    phone_page.get_by_test_id("payoff-link").click()
    phone_page.get_by_test_id("get-quote").click()
    assert phone_page.get_by_test_id("quote-total").inner_text() == "¥92,558.89"
    phone_page.get_by_test_id("pay-payoff").click()
    assert phone_page.get_by_test_id("pay-amount").inner_text() == "¥92,558.89"
    phone_page.get_by_test_id("confirm-pay").click()
    phone_page.wait_for_url(f"**/my/loans/{loan.pk}/")
    assert phone_page.get_by_test_id("loan-status").inner_text() == "提前结清"
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.status == "settled_early"
    assert_ledger_matches(loan)


@pytest.mark.django_db
def test_an_instalment_paid_before_it_falls_due_shows_as_received_in_advance(client, agent):
    # the current instalment 4 (due 05-15) is paid on 05-01 with only 16 of its days accrued:
    # the ledger's receivables are below zero by what was paid ahead (a real, reconciled figure:
    # the nightly accrual brings them to zero by the due date), so the page names it 预收
    loan = make_loan()
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 4, 30))
    set_day(dt.date(2026, 5, 1))
    repayment_post(loan_id=loan.pk, amount="60000.00", source="manual", actor="test")
    balances = assert_ledger_matches(loan)
    assert (balances["interest_receivable"], balances["fee_receivable"]) == (
        D("-226.68"),
        D("-50.00"),
    )
    client.force_login(agent)
    html = client.get(reverse("servicing:loan_detail", args=[loan.pk])).content.decode()
    assert "<dt>预收利息</dt><dd>¥226.68</dd>" in html
    assert "<dt>预收手续费</dt><dd>¥50.00</dd>" in html
    assert "-¥" not in html and "¥-" not in html and "<dt>应收利息</dt>" not in html
    # once the due date is accrued the advance is used up and the receivable is back at zero
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 5, 15))
    assert assert_ledger_matches(loan)["interest_receivable"] == D("0.00")
    html = client.get(reverse("servicing:loan_detail", args=[loan.pk])).content.decode()
    assert "<dt>应收利息</dt><dd>¥0.00</dd>" in html and "预收利息" not in html
