"""A loan's schedule rows are written in one plain INSERT at funding (`schedule_rows_insert`
through `autofin.bulk.rows_insert`), not through model instances: the rows must be exactly the
ones `schedule_rows_build` makes (every column, the model's defaults included), and a row the
database refuses leaves nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from autofin.bulk import rows_insert
from autofin.pricing import build_schedule
from servicing.models.loans import LoanScheduleRow
from servicing.services.loans.schedule import schedule_rows_build, schedule_rows_insert
from tests.servicing.loan_helpers import D, make_loan

pytestmark = pytest.mark.django_db


def _columns(row: LoanScheduleRow) -> dict:
    return {
        f.attname: getattr(row, f.attname)
        for f in LoanScheduleRow._meta.concrete_fields
        if f.attname != "id"
    }


def _schedule(loan):
    return build_schedule(
        amount_financed=loan.amount_financed,
        annual_rate=loan.schedule_rate,
        term_months=loan.term_months,
        method=loan.method,
        value_date=loan.value_date,
        day_count=loan.day_count,
        fee_per_instalment=loan.fee_per_instalment,
        balloon_amount=loan.balloon_amount,
    )


def test_a_funded_loans_rows_are_the_model_rows_of_its_schedule_column_for_column():
    loan = make_loan()
    written = [_columns(r) for r in LoanScheduleRow.objects.filter(loan=loan)]
    expected = [
        _columns(r) for r in schedule_rows_build(loan=loan, schedule=_schedule(loan), version=1)
    ]
    assert len(written) == loan.term_months
    assert written == expected
    # the defaults the plain INSERT took from the model: nothing paid, no penalty, pending
    assert {(r["principal_paid"], r["penalty"], r["status"], r["paid_on"]) for r in written} == {
        (D("0.00"), D("0.00"), "pending", None)
    }


def test_a_refused_row_writes_none_of_the_rows_and_a_column_without_default_is_asked_for():
    loan = make_loan()
    schedule = _schedule(loan)
    before = LoanScheduleRow.objects.count()
    assert schedule_rows_insert(loan_id=loan.pk, schedule=schedule, version=2) == loan.term_months
    # version 2 again: the unique (loan, version, instalment) refuses the whole statement
    with (
        pytest.raises(IntegrityError, match="loan_id, schedule_version, instalment_no"),
        transaction.atomic(),
    ):
        schedule_rows_insert(loan_id=loan.pk, schedule=schedule, version=2)
    # an instalment that is not principal + interest + fee is refused by the database
    row = (loan.pk, 3, dt.date(2026, 1, 1), 1, dt.date(2026, 2, 1), D("100.00"), D("10.00"),
           D("1.00"), D("0.00"), D("99.00"), D("90.00"))  # fmt: skip
    fields = ("loan_id", "schedule_version", "accrual_start", "instalment_no", "due_date",
              "opening_balance", "principal", "interest", "fee", "instalment", "closing_balance")  # fmt: skip
    with pytest.raises(IntegrityError, match="schedule_row_instalment_sum"), transaction.atomic():
        rows_insert(LoanScheduleRow, fields, [row])
    # a column with no default must be given: refused before anything is sent
    with pytest.raises(ValueError, match="closing_balance"):
        rows_insert(LoanScheduleRow, fields[:-1], [row[:-1]])
    assert LoanScheduleRow.objects.count() == before + loan.term_months
    assert not LoanScheduleRow.objects.filter(loan=loan, schedule_version=3).exists()
