"""Four eyes on loan restructuring: the agent's terms wait for a second person holding the
restructure right; until then the loan, its schedule and the ledger are untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from autofin.approvals import (
    ApprovalError,
    FourEyesRequired,
    approval_request_approve,
    approval_request_reject,
)
from autofin.models import ApprovalRequest, AuditEntry
from autofin.roles import Role
from servicing.approvals import loan_restructure_submit
from servicing.models import JournalEntry
from servicing.models.loans import Loan
from servicing.selectors.ledger import loan_balances
from servicing.services.accrual import loan_accrue
from servicing.services.settlement.restructure import loan_restructure
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, set_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan():
    loan = make_loan()
    set_day(dt.date(2026, 3, 20))
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 3, 19))
    return loan


@pytest.fixture
def agent():
    agent = UserFactory(username="agent_m", roles=[Role.SERVICING_AGENT])
    agent.user_permissions.add(Permission.objects.get(codename="restructure_loan"))
    return type(agent).objects.get(pk=agent.pk)


@pytest.fixture
def senior():
    return UserFactory(username="senior_c", roles=[Role.SENIOR_UNDERWRITER])


def _snapshot(loan: Loan) -> tuple:
    loan = Loan.objects.get(pk=loan.pk)
    return (
        loan.status,
        loan.schedule_version,
        loan.principal_outstanding,
        loan.schedule_rate,
        loan.restructure_count,
        loan.schedule.count(),
        loan_balances(loan_id=loan.pk),
        JournalEntry.objects.count(),
    )


def _submit(agent, loan, **terms):
    return loan_restructure_submit(
        loan_id=loan.pk,
        term_months=terms.pop("term_months", 24),
        reason=terms.pop("reason", "失业，展期至 24 期"),
        actor=agent,
        **terms,
    )


def test_the_loan_is_untouched_until_a_second_person_approves(loan, agent, senior):
    before = _snapshot(loan)

    request = _submit(agent, loan, annual_rate="0.05").request

    assert _snapshot(loan) == before
    assert request.payload == {
        "term_months": 24,
        "annual_rate": "0.05",
        "first_due_date": None,
        "reason": "失业，展期至 24 期",
    }
    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=agent)
    assert exc.value.code == "own_request"
    assert _snapshot(loan) == before

    approval_request_approve(request_id=request.pk, checker=senior)

    loan.refresh_from_db()
    assert (loan.status, loan.schedule_version, loan.restructure_count) == ("restructured", 2, 1)
    assert loan.schedule_rate == D("0.05")
    # interest 600.00 + 551.36 + 5 days 83.74, fees 100.00, penalty 85.14 + 12.90 capitalised
    assert loan.principal_outstanding == D("121433.14")
    assert loan.schedule_rows_of_version(2).exclude(status="paid").count() == 24
    assert_ledger_matches(loan)
    entry = AuditEntry.objects.get(action="loan_restructure")
    assert entry.actor == senior
    assert entry.data["four_eyes"]["maker"] == "agent_m"
    assert entry.data["four_eyes"]["checker"] == "senior_c"


def test_a_checker_without_the_restructure_right_cannot_approve(loan, agent):
    before = _snapshot(loan)
    request = _submit(agent, loan).request
    collector = UserFactory(roles=[Role.COLLECTOR])

    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=collector)

    assert exc.value.code == "forbidden"
    assert _snapshot(loan) == before
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_a_rejected_restructure_leaves_the_loan_and_ledger_unchanged(loan, agent, senior):
    before = _snapshot(loan)
    request = _submit(agent, loan).request

    approval_request_reject(request_id=request.pk, checker=senior, reason="收入证明不足")

    assert _snapshot(loan) == before
    assert ApprovalRequest.objects.get(pk=request.pk).status == "rejected"


def test_the_service_alone_refuses_while_four_eyes_is_on(loan, agent):
    before = _snapshot(loan)

    with pytest.raises(FourEyesRequired):
        loan_restructure(loan_id=loan.pk, term_months=24, actor=agent, reason="失业")

    assert _snapshot(loan) == before


def test_with_the_policy_off_the_agent_restructures_at_once(loan, agent, policy):
    policy("four_eyes.loan_restructure", "false")

    submitted = _submit(agent, loan)

    assert not submitted.pending
    loan.refresh_from_db()
    assert (loan.status, loan.schedule_version, loan.principal_outstanding) == (
        "restructured", 2, D("121433.14"),
    )  # fmt: skip
    assert not ApprovalRequest.objects.exists()
    assert AuditEntry.objects.get(action="loan_restructure").actor == agent


def test_the_loan_page_says_submitted_and_offers_no_second_request(client, loan, agent):
    before = _snapshot(loan)
    client.force_login(agent)
    response = client.post(
        reverse("servicing:loan_restructure", args=[loan.pk]),
        {"term_months": "18", "reason": "客户申请展期"},
        follow=True,
    )

    html = response.content.decode()
    assert "已提交复核" in html and 'id="restructure-pending"' in html
    assert f'action="{reverse("servicing:loan_restructure", args=[loan.pk])}"' not in html
    assert ApprovalRequest.objects.filter(status="pending").count() == 1
    assert _snapshot(loan) == before
