"""The nightly reconciliation: every loan's stored figures against its ledger balances, per
component. A clean book passes; a stored balance changed behind the ledger's back fails the
next batch, names the loan and component, opens the finance task, shows on the batch page; a
retry once corrected resolves it and the date advances."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.urls import reverse

from autofin.business_date import business_date_current
from autofin.roles import Role
from servicing.eod.runner import batch_retry
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.eod import FinanceTask, LedgerBreak, StepRun
from servicing.models.loans import Loan
from servicing.selectors.ledger import loan_balances
from servicing.selectors.loans import loan_figures
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900003000)
DAY = dt.date(2026, 2, 14)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def loan(**kw):
    return make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones))), **kw)


def _book():
    """A loan that pays on time, one past due with penalty, one paid more than due (suspense)."""
    on_time = loan()
    late = loan(value_date=dt.date(2025, 12, 20))
    over = loan()
    set_day(dt.date(2026, 2, 15))
    for which, extra in ((on_time, D("0")), (over, D("321.09"))):
        repayment_post(
            loan_id=which.pk,
            amount=rows(which)[0].instalment + extra,
            source="online",
            actor="test",
            business_date=dt.date(2026, 2, 15),
            idempotency_key=f"pay-{which.pk}",
        )
    return on_time, late, over


def _step(day):
    return StepRun.objects.get(batch__business_date=day, code="reconciliation")


def test_a_clean_book_reconciles():
    # given a book with on-time, late (penalty) and overpaid (suspense) loans
    on_time, late, over = _book()
    set_day(DAY)
    # when two nights close (the payments land on the second)
    for day in (DAY, DAY + dt.timedelta(days=1)):
        batch = batch_run_sync(business_date=day)
        # then every loan agrees with its ledger: the batch succeeds, nothing is listed
        assert batch.status == "succeeded", batch.error
        assert _step(day).result["differences"] == 0
        assert _step(day).result["loans"] == 3
    assert not LedgerBreak.objects.exists()
    assert not FinanceTask.objects.exists()
    # and the components compared were not all zero
    late_figures = loan_figures(loan=Loan.objects.get(pk=late.pk))
    assert late_figures["penalty_receivable"] > 0
    assert loan_figures(loan=Loan.objects.get(pk=over.pk))["customer_suspense"] == D("321.09")
    assert (
        loan_balances(loan_id=late.pk)["penalty_receivable"] == (late_figures["penalty_receivable"])
    )


def test_a_balance_changed_behind_the_ledgers_back_fails_the_next_batch(client):
    # given a clean book closed for DAY
    on_time, late, over = _book()
    set_day(DAY)
    assert batch_run_sync(business_date=DAY).status == "succeeded"
    # and a raw UPDATE of one loan's principal, with no ledger entry
    before = Loan.objects.get(pk=late.pk).principal_outstanding
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE servicing_loan SET principal_outstanding = principal_outstanding - 1000"
            " WHERE id = %s",
            [late.pk],
        )
    nxt = DAY + dt.timedelta(days=1)
    # when the next batch runs
    batch = batch_run_sync(business_date=nxt)
    # then it fails at the reconciliation, naming the loan and the component
    assert batch.status == "failed"
    step = _step(nxt)
    assert step.status == "failed"
    assert late.contract_ref in batch.error and "principal" in batch.error
    assert step.result == {} or step.result.get("differences") is None  # finalize refused
    # and the business date did not advance
    assert business_date_current() == nxt
    # and the break is recorded exactly (only the loan's stored principal differs)
    assert list(
        LedgerBreak.objects.values_list("loan_id", "component", "stored", "ledger", "resolved_on")
    ) == [(late.pk, "principal", before - 1000, before, None)]
    # and finance has one open task listing it
    task = FinanceTask.objects.get()
    assert (task.kind, task.business_date, task.status) == ("ledger_reconciliation", nxt, "open")
    assert task.detail["breaks"] == [
        {
            "loan_id": late.pk,
            "contract_ref": late.contract_ref,
            "component": "principal",
            "stored": str(before - 1000),
            "ledger": str(before),
            "difference": "-1000.00",
        }
    ]
    # and the batch page shows it
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    page = client.get(reverse("servicing:eod_dashboard")).content.decode()
    assert 'data-testid="ledger-breaks"' in page
    assert late.contract_ref in page and "-1000.00" in page
    assert f'data-loan="{late.pk}" data-component="principal"' in page

    # when finance corrects the figure and the operator retries
    Loan.objects.filter(pk=late.pk).update(principal_outstanding=before)
    batch_retry(batch_id=batch.pk, actor="test")
    batch = batch_run_sync(business_date=nxt)
    # then the batch succeeds, the break is resolved (kept), the task done, the date advances
    assert batch.status == "succeeded", batch.error
    assert list(LedgerBreak.objects.values_list("component", "resolved_on")) == [("principal", nxt)]
    assert FinanceTask.objects.get().status == "done"
    assert business_date_current() == nxt + dt.timedelta(days=1)


def test_each_component_is_compared():
    # given a clean loan with a fee due and a suspense balance
    a = loan()
    set_day(dt.date(2026, 2, 15))
    repayment_post(
        loan_id=a.pk,
        amount=rows(a)[0].instalment + D("10.00"),
        source="online",
        actor="test",
        business_date=dt.date(2026, 2, 15),
        idempotency_key="pay-a",
    )
    # when stored figures drift one by one (rows and the loan, never the ledger)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE servicing_loanschedulerow SET penalty = penalty + 1.23, fee_paid = fee_paid - 2"
            " WHERE loan_id = %s AND instalment_no = 1",
            [a.pk],
        )
        cursor.execute(
            "UPDATE servicing_loan SET suspense_balance = suspense_balance + 0.01,"
            " accrual_period_posted = accrual_period_posted + 5 WHERE id = %s",
            [a.pk],
        )
    batch = batch_run_sync(business_date=dt.date(2026, 2, 15))
    # then each drifted component is listed with its figures
    assert batch.status == "failed"
    got = {
        c: s - g
        for c, s, g in LedgerBreak.objects.filter(loan=a).values_list(
            "component", "stored", "ledger"
        )
    }
    assert got == {
        "penalty": D("1.23"),
        "fee": D("2.00"),
        "suspense": D("0.01"),
        "interest": D("5.00"),
    }
