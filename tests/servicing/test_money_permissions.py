"""Permissions on money (issue 14): one check (autofin.roles.can_move_money) for pages, API and
services; the manual-approval threshold on the day's sum; reject in pages and API; reversal
maker-checked in pages and API, with the database refusing requester = checker."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from autofin.roles import MoneyAction, Role, can_move_money
from servicing.models.repayments import Repayment, RepaymentReversal
from servicing.selectors.ledger import loan_balances
from servicing.services.repayments.guards import RepaymentError
from servicing.services.repayments.manual import repayment_manual_submit
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db


def _token() -> str:
    return uuid.uuid4().hex


def _state(loan):
    """Everything a refused money action must leave as it was."""
    return (
        loan_balances(loan_id=loan.pk),
        sorted(Repayment.objects.values_list("pk", "status", "amount", "approved_by_id")),
        sorted(RepaymentReversal.objects.values_list("pk", "status")),
    )


@pytest.fixture
def agent():
    return UserFactory(roles=[Role.SERVICING_AGENT])


@pytest.fixture
def checker():
    return UserFactory(roles=[Role.SERVICING_AGENT])


def test_can_move_money_answers_by_role_and_refuses_the_unknown(agent):
    collector = UserFactory(roles=[Role.COLLECTOR])
    senior = UserFactory(roles=[Role.SENIOR_UNDERWRITER])
    customer = UserFactory(roles=[Role.CUSTOMER])
    approver = UserFactory(roles=[Role.FINANCE_APPROVER])
    assert can_move_money(agent, MoneyAction.REPAYMENT_MANUAL_POST)
    assert can_move_money(agent, "repayment_reverse_request")
    for person in (collector, senior, customer):
        for action in (
            MoneyAction.REPAYMENT_MANUAL_POST,
            MoneyAction.REPAYMENT_MANUAL_APPROVE,
            MoneyAction.REPAYMENT_REVERSE_REQUEST,
            MoneyAction.REPAYMENT_REVERSE_APPROVE,
            MoneyAction.DISBURSEMENT_APPROVE,
        ):
            assert not can_move_money(person, action), (person, action)
    assert can_move_money(customer, MoneyAction.PREPAYMENT)
    assert not can_move_money(agent, MoneyAction.PREPAYMENT)
    assert can_move_money(approver, MoneyAction.DISBURSEMENT_APPROVE)
    assert not can_move_money(agent, MoneyAction.DISBURSEMENT_APPROVE)
    assert not can_move_money(agent, "repayment_manual_post_typo")
    from django.contrib.auth.models import AnonymousUser

    assert not can_move_money(AnonymousUser(), MoneyAction.REPAYMENT_MANUAL_POST)


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.SENIOR_UNDERWRITER])
def test_collectors_and_underwriters_move_no_money_in_pages_or_api(client, agent, role):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    posted = repayment_post(
        loan_id=loan.pk, amount="10377.97", source="auto_debit", actor="bank", external_ref="B1"
    )
    pending = repayment_manual_submit(
        loan_id=loan.pk, amount="60000.00", evidence="工行 001", actor=agent
    )
    assert pending.status == "pending_approval"
    reversal_request = RepaymentReversal.objects.create(
        repayment=posted, reason="退票", requested_by=agent
    )
    before = _state(loan)
    person = UserFactory(roles=[role])
    client.force_login(person)
    # they may still look at the loan page (their work), without the money forms
    page = client.get(reverse("servicing:loan_detail", args=[loan.pk]))
    assert page.status_code == 200 and "提交入账" not in page.content.decode()
    pages = [
        (
            reverse("servicing:loan_manual_repayment", args=[loan.pk]),
            {"amount": "100.00", "evidence": "x"},
        ),
        (reverse("servicing:repayment_approve", args=[pending.pk]), {}),
        (reverse("servicing:repayment_reject", args=[pending.pk]), {"reason": "x"}),
        (reverse("servicing:repayment_reverse", args=[posted.pk]), {"reason": "x"}),
        (reverse("servicing:reversal_approve", args=[reversal_request.pk]), {}),
    ]
    for url, data in pages:
        assert client.post(url, {**data, "token": _token()}).status_code == 403, url
    api = [
        (f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "100.00", "evidence": "x"}),
        (f"/api/v1/loans/repayments/{pending.pk}/approve/", {}),
        (f"/api/v1/loans/repayments/{pending.pk}/reject/", {"reason": "x"}),
        (f"/api/v1/loans/repayments/{posted.pk}/reverse/", {"reason": "x"}),
        (f"/api/v1/loans/reversals/{reversal_request.pk}/approve/", {}),
    ]
    for url, data in api:
        response = client.post(
            url, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=_token()
        )
        assert response.status_code == 403, url
    assert _state(loan) == before


def test_the_services_refuse_a_person_without_the_money_action():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    collector = UserFactory(roles=[Role.COLLECTOR])
    with pytest.raises(RepaymentError) as exc:
        repayment_manual_submit(loan_id=loan.pk, amount="100.00", evidence="x", actor=collector)
    assert exc.value.code == "forbidden"
    assert Repayment.objects.count() == 0


def test_two_postings_just_under_the_threshold_need_approval(client, agent):
    """The threshold (policy 50,000.00) bounds the loan's manual postings of the business day."""
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    client.force_login(agent)
    url = reverse("servicing:loan_manual_repayment", args=[loan.pk])
    first = client.post(url, {"amount": "49999.99", "evidence": "工行 001", "token": _token()})
    assert first.status_code == 302
    after_first = loan_balances(loan_id=loan.pk)
    second = client.post(url, {"amount": "49999.99", "evidence": "工行 002", "token": _token()})
    assert second.status_code == 302
    statuses = list(Repayment.objects.order_by("pk").values_list("amount", "status"))
    assert statuses == [(D("49999.99"), "posted"), (D("49999.99"), "pending_approval")]
    assert loan_balances(loan_id=loan.pk) == after_first  # the second waits, nothing posted
    assert after_first["bank_clearing"] == D("49999.99")
    # the next business day starts a new sum
    set_day(dt.date(2026, 2, 16))
    third = repayment_manual_submit(
        loan_id=loan.pk, amount="49999.99", evidence="工行 003", actor=agent
    )
    assert third.status == "posted"
    assert_ledger_matches(loan)


def test_a_pending_manual_repayment_is_rejected_in_pages_and_api(client, agent, checker):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    by_page = repayment_manual_submit(
        loan_id=loan.pk, amount="60000.00", evidence="工行 001", actor=agent
    )
    by_api = repayment_manual_submit(
        loan_id=loan.pk, amount="70000.00", evidence="工行 002", actor=agent
    )
    before = loan_balances(loan_id=loan.pk)
    client.force_login(agent)  # the maker may not reject their own posting
    own = client.post(
        f"/api/v1/loans/repayments/{by_api.pk}/reject/",
        {"reason": "重复"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=_token(),
    )
    assert own.status_code == 403 and own.json()["code"] == "maker_checker"
    client.force_login(checker)
    page = client.post(
        reverse("servicing:repayment_reject", args=[by_page.pk]),
        {"reason": "凭证不符", "token": _token()},
    )
    assert page.status_code == 302
    api = client.post(
        f"/api/v1/loans/repayments/{by_api.pk}/reject/",
        {"reason": "重复入账"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=_token(),
    )
    assert api.status_code == 200 and api.json()["status"] == "rejected"
    for repayment in (by_page, by_api):
        repayment.refresh_from_db()
        assert (repayment.status, repayment.approved_by_id) == ("rejected", checker.pk)
        assert repayment.allocations.count() == 0 and repayment.journal_entry_id is None
    assert loan_balances(loan_id=loan.pk) == before
    # a rejected repayment cannot be approved afterwards
    late = client.post(
        reverse("servicing:repayment_approve", args=[by_page.pk]), {"token": _token()}
    )
    assert late.status_code == 302
    by_page.refresh_from_db()
    assert by_page.status == "rejected" and loan_balances(loan_id=loan.pk) == before


def test_reversal_is_maker_checked_in_pages(client, agent, checker):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    before_payment = loan_balances(loan_id=loan.pk)
    paid = repayment_post(
        loan_id=loan.pk, amount="10377.97", source="auto_debit", actor="bank", external_ref="B1"
    )
    after_payment = loan_balances(loan_id=loan.pk)
    client.force_login(agent)
    asked = client.post(
        reverse("servicing:repayment_reverse", args=[paid.pk]),
        {"reason": "银行退票", "token": _token()},
    )
    assert asked.status_code == 302
    request = RepaymentReversal.objects.get()
    assert (request.status, request.requested_by_id, request.repayment_id) == (
        "pending",
        agent.pk,
        paid.pk,
    )
    paid.refresh_from_db()
    assert paid.status == "posted" and loan_balances(loan_id=loan.pk) == after_payment
    # the requester cannot approve their own request
    client.post(reverse("servicing:reversal_approve", args=[request.pk]), {"token": _token()})
    request.refresh_from_db()
    assert request.status == "pending" and loan_balances(loan_id=loan.pk) == after_payment
    # a second open request on the same repayment is refused
    client.post(
        reverse("servicing:repayment_reverse", args=[paid.pk]),
        {"reason": "again", "token": _token()},
    )
    assert RepaymentReversal.objects.count() == 1
    client.force_login(checker)
    done = client.post(
        reverse("servicing:reversal_approve", args=[request.pk]), {"token": _token()}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    paid.refresh_from_db()
    assert (request.status, request.decided_by_id) == ("approved", checker.pk)
    assert paid.status == "reversed" and paid.reversal_entry_id is not None
    reversed_balances = loan_balances(loan_id=loan.pk)
    assert reversed_balances.get("bank_clearing", D("0")) == before_payment.get(
        "bank_clearing", D("0")
    )
    assert reversed_balances["principal_receivable"] == D("120000.00")
    assert rows(loan)[0].status != "paid"
    assert_ledger_matches(loan)


def test_reversal_is_maker_checked_in_the_api_and_can_be_rejected(client, agent, checker):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    paid = repayment_post(
        loan_id=loan.pk, amount="10377.97", source="online", actor="pay", external_ref="P1"
    )
    after_payment = loan_balances(loan_id=loan.pk)
    client.force_login(agent)
    asked = client.post(
        f"/api/v1/loans/repayments/{paid.pk}/reverse/",
        {"reason": "客户撤销"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rev-1",
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    reversal_id = asked.json()["id"]
    own = client.post(
        f"/api/v1/loans/reversals/{reversal_id}/approve/",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rev-1-approve",
    )
    assert own.status_code == 403 and own.json()["code"] == "maker_checker"
    client.force_login(checker)
    rejected = client.post(
        f"/api/v1/loans/reversals/{reversal_id}/reject/",
        {"reason": "款项已确认到账"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rev-1-reject",
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decided_by"]) == ("rejected", checker.pk)
    paid.refresh_from_db()
    assert paid.status == "posted" and loan_balances(loan_id=loan.pk) == after_payment
    approve_late = client.post(
        f"/api/v1/loans/reversals/{reversal_id}/approve/",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rev-1-approve-late",
    )
    assert approve_late.status_code == 400
    assert loan_balances(loan_id=loan.pk) == after_payment


def test_the_database_refuses_the_requester_as_checker(agent):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    paid = repayment_post(
        loan_id=loan.pk, amount="100.00", source="online", actor="pay", external_ref="P1"
    )
    reversal = RepaymentReversal.objects.create(repayment=paid, reason="x", requested_by=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepaymentReversal.objects.filter(pk=reversal.pk).update(status="approved", decided_by=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepaymentReversal.objects.create(repayment=paid, reason="y", requested_by=agent)


def test_a_person_cannot_reverse_alone_through_the_service(agent):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    paid = repayment_post(
        loan_id=loan.pk, amount="100.00", source="online", actor="pay", external_ref="P1"
    )
    with pytest.raises(RepaymentError) as exc:
        repayment_reverse(repayment_id=paid.pk, reason="退票", actor=agent)
    assert exc.value.code == "maker_checker"
    paid.refresh_from_db()
    assert paid.status == "posted"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_postings_under_the_threshold_cannot_both_post():
    """The day's sum is read under the loan's lock: two agents posting ¥49,999.99 at the same
    moment get one posting and one waiting for approval, never two postings."""
    import threading

    from django.db import connection

    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    agents = [UserFactory(roles=[Role.SERVICING_AGENT]) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def post(agent, key):
        try:
            barrier.wait(timeout=30)
            repayment_manual_submit(
                loan_id=loan.pk,
                amount="49999.99",
                evidence="工行",
                actor=agent,
                idempotency_key=key,
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(agent, f"k{i}")) for i, agent in enumerate(agents)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(Repayment.objects.values_list("status", "amount")) == [
        ("pending_approval", D("49999.99")),
        ("posted", D("49999.99")),
    ]
    assert loan_balances(loan_id=loan.pk)["bank_clearing"] == D("49999.99")
