"""The batch as a whole: idempotent (nothing doubled), resumable (a failed chunk succeeds on
retry; a stale lease is taken over), catches up missed dates, and an online payment during a
step waits for the chunk's lock (Loan row first, in id order) — on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from autofin.business_date import business_date_current, business_date_for_posting
from autofin.models import BusinessCalendar, OutboundMessage
from servicing.eod import registry, runner
from servicing.eod.runner import EodError, batch_retry
from servicing.eod.sync_driver import batch_run_sync, eod_run_until
from servicing.models import JournalLine
from servicing.models.collections import LoanSnapshot
from servicing.models.eod import BatchRun, ChunkRun, StepRun
from servicing.models.loans import Loan, PenaltyAccrual
from servicing.models.repayments import Repayment
from servicing.selectors.ledger import loan_balances
from servicing.services.repayments.posting import repayment_post
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, set_day

DAY = dt.date(2026, 2, 16)  # the loans' first instalment (due 02-15) is one day late


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def _book(n=3):
    from autofin.roles import Role
    from tests.factories import UserFactory

    return [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390000200{i}"))
        for i in range(n)
    ]


def _counts():
    return {
        "lines": JournalLine.objects.count(),
        "penalty": PenaltyAccrual.objects.count(),
        "snapshots": LoanSnapshot.objects.count(),
        "messages": OutboundMessage.objects.count(),
        "balances": [loan_balances(loan_id=pk) for pk in Loan.objects.values_list("pk", flat=True)],
    }


@pytest.mark.django_db
def test_a_date_closed_twice_changes_nothing_the_second_time():
    # given a book closed up to 02-16
    _book()
    set_day(dt.date(2026, 2, 14))
    eod_run_until(target=DAY)
    assert business_date_current() == DAY + dt.timedelta(days=1)
    before = _counts()
    # when the same date is asked again: refused (the date moved on), nothing written
    with pytest.raises(EodError):
        batch_run_sync(business_date=DAY)
    assert _counts() == before
    # and when every chunk of DAY is executed again (its records lost), the steps' own guards
    # make the second execution a no-op
    set_day(DAY)
    BatchRun.objects.filter(business_date=DAY).update(status="running")
    StepRun.objects.filter(batch__business_date=DAY).update(status="running")
    ChunkRun.objects.filter(step__batch__business_date=DAY).update(status="pending")
    batch = batch_run_sync(business_date=DAY)
    assert batch.status == "succeeded"
    assert _counts() == before
    assert business_date_current() == DAY + dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_failed_chunk_fails_the_batch_then_succeeds_on_retry(monkeypatch):
    # given chunk 1 of the accrual step fails once
    loans = _book()
    set_day(dt.date(2026, 2, 14))
    registry.steps_load()
    real = registry.STEPS["accrual"]
    calls = {"n": 0}

    def flaky(ctx, lo, hi):
        if lo == loans[2].pk and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("disk on fire")
        return real.run_chunk(ctx, lo, hi)

    monkeypatch.setitem(registry.STEPS, "accrual", dataclasses.replace(real, run_chunk=flaky))
    # when the batch runs
    batch = batch_run_sync(business_date=dt.date(2026, 2, 14))
    # then it failed visibly, the date did not advance, the good chunk's work stands
    assert batch.status == "failed"
    assert "disk on fire" in batch.error
    step = StepRun.objects.get(batch=batch, code="accrual")
    assert step.status == "failed"
    failed = step.chunks.get(status="failed")
    assert "RuntimeError: disk on fire" in failed.error
    assert business_date_current() == dt.date(2026, 2, 14)
    assert BusinessCalendar.objects.get().closing is True
    assert [x.accrued_through for x in Loan.objects.order_by("pk")] == [
        dt.date(2026, 2, 14), dt.date(2026, 2, 14), dt.date(2026, 1, 15)
    ]  # fmt: skip
    # when the operator retries
    batch_retry(batch_id=batch.pk, actor="test")
    batch = batch_run_sync(business_date=dt.date(2026, 2, 14))
    # then only the missing chunk ran again and the date advanced
    assert batch.status == "succeeded"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("succeeded", 2)
    assert set(step.chunks.values_list("attempts", flat=True)) == {1, 2}
    assert {loan_balances(loan_id=x.pk)["interest_receivable"] for x in loans} == {D("580.00")}
    assert business_date_current() == dt.date(2026, 2, 15)


@pytest.mark.django_db
def test_a_stale_lease_is_taken_over_and_a_live_one_is_not():
    # given the accrual step planned and its chunk 0 claimed by a worker that then died
    loans = _book()
    set_day(dt.date(2026, 2, 14))
    batch = runner.batch_open(business_date=dt.date(2026, 2, 14))
    run = runner.step_plan(batch=batch, step=registry.step_get("accrual"))
    chunk = run.chunks.get(chunk_no=0)
    assert runner.chunk_claim(chunk_id=chunk.pk, owner="dead-worker")
    # a live lease is not taken
    assert not runner.chunk_claim(chunk_id=chunk.pk, owner="other")
    ChunkRun.objects.filter(pk=chunk.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert [c.pk for c in runner.chunks_stale()] == [chunk.pk]
    # when the batch runs again
    batch = batch_run_sync(business_date=dt.date(2026, 2, 14), owner="rescuer")
    # then the stale chunk was re-dispatched by the batch itself and finished
    chunk.refresh_from_db()
    assert (chunk.status, chunk.owner, chunk.attempts) == ("succeeded", "rescuer", 2)
    assert batch.status == "succeeded"
    assert {loan_balances(loan_id=x.pk)["interest_receivable"] for x in loans} == {D("580.00")}


@pytest.mark.django_db
def test_a_chunk_whose_lease_was_taken_over_rolls_its_work_back(monkeypatch):
    loans = _book(1)
    set_day(dt.date(2026, 2, 14))
    batch = runner.batch_open(business_date=dt.date(2026, 2, 14))
    run = runner.step_plan(batch=batch, step=registry.step_get("accrual"))
    chunk = run.chunks.get()
    registry.steps_load()
    real = registry.STEPS["accrual"]

    def slow_then_stolen(ctx, lo, hi):
        result = real.run_chunk(ctx, lo, hi)
        ChunkRun.objects.filter(pk=chunk.pk).update(owner="thief")  # the lease went stale
        return result

    monkeypatch.setitem(
        registry.STEPS, "accrual", dataclasses.replace(real, run_chunk=slow_then_stolen)
    )
    assert runner.chunk_execute(chunk_id=chunk.pk, owner="slowpoke") == "lost"
    loans[0].refresh_from_db()
    assert loans[0].accrued_through == dt.date(2026, 1, 15)  # nothing landed
    assert "interest_receivable" not in loan_balances(loan_id=loans[0].pk)


@pytest.mark.django_db
def test_catch_up_over_three_missed_days():
    # given the batch has not run since 02-12
    loans = _book(2)
    set_day(dt.date(2026, 2, 12))
    # when it catches up to 02-14
    done = eod_run_until(target=dt.date(2026, 2, 14))
    # then it closed the three dates one at a time, in order
    assert [(b.business_date, b.status, b.advanced_to) for b in done] == [
        (dt.date(2026, 2, 12), "succeeded", dt.date(2026, 2, 13)),
        (dt.date(2026, 2, 13), "succeeded", dt.date(2026, 2, 14)),
        (dt.date(2026, 2, 14), "succeeded", dt.date(2026, 2, 15)),
    ]
    assert business_date_current() == dt.date(2026, 2, 15)
    assert LoanSnapshot.objects.filter(loan_id=loans[0].pk).count() == 3
    assert {loan_balances(loan_id=x.pk)["interest_receivable"] for x in loans} == {D("580.00")}
    # and nothing is left to do
    assert eod_run_until(target=dt.date(2026, 2, 14)) == []


@pytest.mark.django_db(transaction=True)
def test_online_payment_during_a_step_waits_for_the_chunk_lock_and_lands_on_d_plus_1(
    monkeypatch,
):
    from servicing.eod.steps import delinquency

    # given an overdue loan and the delinquency step holding its chunk's loans
    loans = _book(1)
    loan = loans[0]
    set_day(dt.date(2026, 2, 14))
    batch_run_sync(business_date=dt.date(2026, 2, 14))
    batch_run_sync(business_date=dt.date(2026, 2, 15))  # instalment 1 (due 02-15) unpaid
    locked = threading.Event()
    timeline: dict[str, float] = {}
    real_lock = delinquency.lock_loans

    def lock_then_linger(lo, hi, condition="TRUE", params=None):
        ids = real_lock(lo, hi, condition, params)
        locked.set()
        time.sleep(1.0)
        timeline["chunk_done"] = time.monotonic()
        return ids

    monkeypatch.setattr(delinquency, "lock_loans", lock_then_linger)
    errors: list[BaseException] = []
    queries: list[str] = []

    def night():
        try:
            with CaptureQueriesContext(connection) as ctx:
                batch_run_sync(business_date=dt.date(2026, 2, 16))
            queries.extend(q["sql"] for q in ctx.captured_queries)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    t = threading.Thread(target=night)
    t.start()
    assert locked.wait(30)
    # when the customer pays online while the chunk holds the loan
    assert business_date_for_posting() == dt.date(2026, 2, 17)
    repayment = repayment_post(
        loan_id=loan.pk, amount="10400.00", source="online", actor="customer",
        idempotency_key="pay-during-eod",
    )  # fmt: skip
    timeline["paid"] = time.monotonic()
    t.join(60)
    # then the payment waited for the chunk (lock order: Loan row first, loans in id order)
    assert not errors, errors
    assert timeline["paid"] >= timeline["chunk_done"]
    lock_sql = [q for q in queries if "FOR UPDATE OF" in q and "servicing_loan l" in q]
    assert lock_sql and all("ORDER BY l.id" in q for q in lock_sql)
    # it carries D+1, the batch succeeded, and the loan's ledger matches its rows exactly
    repayment = Repayment.objects.get(pk=repayment.pk)
    assert (repayment.status, repayment.received_on) == ("posted", dt.date(2026, 2, 17))
    assert BatchRun.objects.get(business_date=dt.date(2026, 2, 16)).status == "succeeded"
    assert_ledger_matches(loan)
    loan.refresh_from_db()
    assert loan.status == "active"


@pytest.mark.django_db
def test_run_eod_command_prints_a_progress_bar_and_advances():
    from io import StringIO

    from django.core.management import call_command

    _book(1)
    set_day(dt.date(2026, 2, 14))
    out = StringIO()
    call_command("run_eod", "--date", "2026-02-14", stdout=out)
    text = out.getvalue()
    assert "accrual" in text and "[##############################] 1/1" in text
    assert "2026-02-14: succeeded" in text
    assert business_date_current() == dt.date(2026, 2, 15)


@pytest.mark.django_db
def test_a_month_end_step_is_one_empty_chunk_on_other_dates_and_a_chunk_per_range_at_month_end():
    _book()  # three loans: two chunks of two loan ids
    plans = {}
    for day in (dt.date(2026, 2, 27), dt.date(2026, 2, 28)):
        batch = BatchRun.objects.create(business_date=day, status="running")
        for code in ("phone_status_check", "bureau_recheck", "snapshot"):
            run = runner.step_plan(batch=batch, step=registry.step_get(code))
            plans[day, code] = list(run.chunks.order_by("chunk_no").values_list("lo_id", "hi_id"))
    ranges = runner.loan_id_ranges()
    assert len(ranges) == 2
    for code in ("phone_status_check", "bureau_recheck"):
        # the step has nothing to do before the month's last day: no chunk per range
        assert plans[dt.date(2026, 2, 27), code] == [(0, 0)]
        assert plans[dt.date(2026, 2, 28), code] == ranges
    # an everyday step is chunked on both
    assert (
        plans[dt.date(2026, 2, 27), "snapshot"] == plans[dt.date(2026, 2, 28), "snapshot"] == ranges
    )
