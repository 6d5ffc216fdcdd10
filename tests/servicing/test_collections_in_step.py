"""Collections in step with the loans: a case is open exactly for a loan overdue under the one
past-due rule (servicing.loan_rules, with its tolerance); a cured loan leaves the queue at once
and its case closes in the batch; leftovers under the tolerance open no case; the queue's tabs
count every queue; the likelihood to pay reads as a band with its percentage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from autofin.policy import policy_set
from autofin.roles import Role
from servicing.eod.sync_driver import eod_run_until
from servicing.models.collections import CollectionCase
from servicing.models.loans import Loan, LoanStatus
from servicing.selectors.collections import collections_queue, queue_counts
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    """Autouse: every batch here runs without sending the auto-debit file to the bank."""
    settings.EOD_AUTO_DEBIT_SEND = False


def _overdue_book(n: int) -> list[Loan]:
    loans = [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390000310{i}"))
        for i in range(n)
    ]
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 16))  # instalment 1 due 02-15 unpaid: dpd 2
    return loans


def _queue_loans(user) -> set[int]:
    return {c.loan_id for c in collections_queue(user=user)}


def _overdue_loans() -> set[int]:
    return set(Loan.objects.filter(status=LoanStatus.OVERDUE).values_list("id", flat=True))


def _open_case_loans() -> set[int]:
    return set(CollectionCase.objects.filter(status="open").values_list("loan_id", flat=True))


def test_the_queue_is_the_overdue_loans_and_a_cured_loan_has_no_open_case_after_the_batch():
    loans = _overdue_book(3)
    boss = UserFactory(is_superuser=True)
    assert _queue_loans(boss) == _overdue_loans() == {x.pk for x in loans}
    # a collector with nothing assigned still sees the unassigned cases (none out of sight)
    newcomer = UserFactory(roles=[Role.COLLECTOR])
    assert _queue_loans(newcomer) == {x.pk for x in loans}
    # when one customer pays everything due online: cured, out of the queue at once
    repayment_post(loan_id=loans[0].pk, amount="10500.00", source="online", actor="customer",
                   idempotency_key="cure-0")  # fmt: skip
    assert loans[0].pk not in _overdue_loans()
    assert _queue_loans(boss) == _overdue_loans() == {loans[1].pk, loans[2].pk}
    # and after the batch its case is closed as cured
    eod_run_until(target=dt.date(2026, 2, 17))
    assert _open_case_loans() == _overdue_loans() == {loans[1].pk, loans[2].pk}
    case = CollectionCase.objects.get(loan=loans[0])
    assert (case.status, case.close_reason) == ("closed", "cured")
    assert queue_counts(user=boss) == {"soft": 2, "call": 0, "field_legal": 0, "all": 2}


def test_leftovers_under_the_tolerance_open_no_case_and_close_the_open_one():
    loans = _overdue_book(2)
    assert _open_case_loans() == {x.pk for x in loans}
    # the tolerance is 10 yuan from 02-17; one customer pays all but a few yuan of penalty
    policy_set(key="servicing.past_due_tolerance", value="10.00",
               effective_from=dt.date(2026, 2, 17), actor=None, reason="测试")  # fmt: skip
    owed = CollectionCase.objects.get(loan=loans[0]).amount_overdue
    repayment_post(loan_id=loans[0].pk, amount=str(owed - D("3.00")), source="online",
                   actor="customer", idempotency_key="part-0")  # fmt: skip
    eod_run_until(target=dt.date(2026, 2, 18))
    # the leftover (under 10 yuan) is not past due: no open case, out of the queue
    loans[0].refresh_from_db()
    assert loans[0].status == LoanStatus.ACTIVE
    assert _open_case_loans() == _overdue_loans() == {loans[1].pk}
    assert not CollectionCase.objects.filter(loan=loans[0], status="open").exists()


def test_the_queue_page_shows_counts_and_likelihood_bands(client):
    loans = _overdue_book(2)
    collector = UserFactory(roles=[Role.COLLECTOR])
    client.force_login(collector)
    page = client.get(reverse("servicing:collections_queue")).content.decode()
    assert "（）" not in page
    assert "全部（2）" in page and "（0）" in page
    # logistic score 0.8416: band 高 with 84%
    assert "高</span> 84%" in page and "0.8416" not in page
    case = CollectionCase.objects.get(loan=loans[0])
    detail = client.get(reverse("servicing:collections_case", args=[case.pk])).content.decode()
    assert "高</span> 84%" in detail
