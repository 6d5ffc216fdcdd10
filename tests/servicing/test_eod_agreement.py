"""The set-based nightly steps agree exactly with the loans engineer's per-loan services
(`loan_accrue`: interest with true-up, fees, penalty, row and loan statuses; `suspense_apply`)
on a small book with both day counts, four methods (balloon included), a back-dated loan, a
restructured loan, a floating-rate (LPR) loan, a loan holding suspense, on-time, partial and
missed payments — and the nightly reconciliation finds every stored figure equal to the
ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Exists, OuterRef

from autofin.roles import Role
from origination.models import LprRate
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.eod import StepRun
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow
from servicing.models.repayments import Repayment
from servicing.services.accrual import loan_accrue
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.suspense import suspense_apply
from tests.approvals_support import loan_restructure
from tests.factories import UserFactory
from tests.servicing.eod_helpers import book_state, days
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db

START = dt.date(2026, 2, 10)
END = dt.date(2026, 3, 18)
LPR_LINK = {"basis": "lpr", "tenor": "1y", "spread_bps": 140}


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2  # several chunks even on a small book


def _book():
    a = make_loan()  # 30/360, equal instalments, never pays
    b = make_loan(day_count="ACT/365F")  # pays instalment 1 on its due date
    c = make_loan(method="equal_principal", value_date=dt.date(2026, 1, 31), fee="0")
    d = make_loan(value_date=dt.date(2025, 12, 20))  # more than a period behind on day one
    e = make_loan(method="interest_only", day_count="ACT/365F", amount="88888.88", rate="0.0725")
    f = make_loan(method="balloon", balloon_ratio="0.30", term=24)  # pays its first instalment
    # floating at LPR 3.10 % + 140 bp; reprices in 2027
    LprRate.objects.create(tenor="1y", rate=D("0.031000"), effective_date=dt.date(2025, 11, 20))
    g = make_loan(rate="0.045", rate_link=LPR_LINK, term=24)
    s = make_loan()  # overpays instalment 1 by 500.00: suspense, applied on the 2nd due date
    r = make_loan(value_date=dt.date(2026, 1, 5))  # restructured before the window
    set_day(dt.date(2026, 2, 5))
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    agent.user_permissions.add(Permission.objects.get(codename="restructure_loan"))
    agent = type(agent).objects.get(pk=agent.pk)
    loan_restructure(maker=agent, loan_id=r.pk, term_months=18, reason="收入下降，展期")
    payments = {
        b.pk: (rows(b)[0].due_date, rows(b)[0].instalment),
        e.pk: (rows(e)[0].due_date, rows(e)[0].instalment),
        c.pk: (dt.date(2026, 3, 5), D("1000.00")),
        f.pk: (rows(f)[0].due_date, rows(f)[0].instalment),
        s.pk: (rows(s)[0].due_date, rows(s)[0].instalment + D("500.00")),
    }
    return [a.pk, b.pk, c.pk, d.pk, e.pk, f.pk, g.pk, s.pk, r.pk], payments


def _pay_if_due(day, payments):
    for loan_id, (when, amount) in payments.items():
        if when == day:
            repayment_post(
                loan_id=loan_id,
                amount=amount,
                source="online",
                actor="test",
                business_date=day,
                idempotency_key=f"pay-{loan_id}-{day}",
            )


def _suspense_like_the_batch(day, loan_ids):
    """What the batch's `due` step does after accrual: suspense applied (dated D+1, the batch
    runs while postings carry the next date) on loans holding some with an unpaid row due."""
    owing = (
        Loan.objects.filter(pk__in=loan_ids, suspense_balance__gt=0)
        .exclude(status__in=list(CLOSED_STATUSES))
        .filter(
            Exists(
                LoanScheduleRow.objects.filter(
                    loan=OuterRef("pk"), superseded_by_version__isnull=True, due_date__lte=day
                ).exclude(status="paid")
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for loan_id in owing:
        suspense_apply(loan_id=loan_id, actor="eod", business_date=day + dt.timedelta(days=1))


def test_batch_agrees_with_the_per_loan_reference_to_the_fen():
    # given a small book and the business date at START
    ids, payments = _book()
    set_day(START)
    # the per-loan reference, day by day, then rolled back
    with pytest.raises(Rollback), transaction.atomic():
        for day in days(START, END):
            _pay_if_due(day, payments)
            for loan_id in ids:
                loan_accrue(loan_id=loan_id, through=day, actor="eod", business_date=day)
            _suspense_like_the_batch(day, ids)
        expected = book_state(ids)
        raise Rollback
    # when the nightly batch closes the same days
    set_day(START)
    for day in days(START, END):
        _pay_if_due(day, payments)
        batch = batch_run_sync(business_date=day)
        assert batch.status == "succeeded", batch.error
    # then every loan, row, penalty segment, status change and ledger balance is the same
    got = book_state(ids)
    for loan_id in ids:
        assert got[loan_id] == expected[loan_id], loan_id
    # and the book really moved: overdue loans, penalty, true-ups, a fallback
    statuses = {got[i]["loan"][0] for i in ids}
    assert "overdue" in statuses
    assert any(got[i]["penalty"] for i in ids)
    # and the new kinds took part: the balloon's last row, the floating rate, suspense applied,
    # the restructured schedule
    balloon, floating, suspense, restructured = ids[5:]
    assert rows(Loan.objects.get(pk=balloon))[-1].principal > D("36000.00")
    assert Loan.objects.get(pk=floating).rate_basis == "lpr"
    assert Repayment.objects.filter(loan_id=suspense, source="suspense").count() == 1
    assert got[suspense]["loan"][6] == D("0.00")  # all 500.00 went to the second instalment
    assert Loan.objects.get(pk=restructured).restructure_count == 1
    assert got[restructured]["loan"][0] in ("restructured", "overdue")
    # and every night's reconciliation compared them all and found no difference
    for day in days(START, END):
        result = StepRun.objects.get(batch__business_date=day, code="reconciliation").result
        assert (result["loans"], result["differences"]) == (len(ids), 0), day
