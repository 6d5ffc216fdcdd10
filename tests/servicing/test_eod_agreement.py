"""The set-based nightly steps agree exactly with the loans engineer's per-loan services
(`loan_accrue`: interest with true-up, fees, penalty, row and loan statuses) on a small book
with both day counts, three methods, a back-dated loan, on-time, partial and missed payments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from servicing.eod.runner import batch_run_sync
from servicing.services.accrual import loan_accrue
from servicing.services.repayments import repayment_post
from tests.servicing.eod_helpers import book_state, days
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db

START = dt.date(2026, 2, 10)
END = dt.date(2026, 3, 18)


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2  # several chunks even on a small book


def _book():
    a = make_loan()  # 30/360, equal instalments, never pays
    b = make_loan(day_count="ACT/365F")  # pays instalment 1 on its due date
    c = make_loan(method="equal_principal", value_date=dt.date(2026, 1, 31), fee="0")
    d = make_loan(value_date=dt.date(2025, 12, 20))  # more than a period behind on day one
    e = make_loan(method="interest_only", day_count="ACT/365F", amount="88888.88", rate="0.0725")
    payments = {
        b.pk: (rows(b)[0].due_date, rows(b)[0].instalment),
        e.pk: (rows(e)[0].due_date, rows(e)[0].instalment),
        c.pk: (dt.date(2026, 3, 5), D("1000.00")),
    }
    return [a.pk, b.pk, c.pk, d.pk, e.pk], payments


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
