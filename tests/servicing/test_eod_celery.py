"""The nightly batch on a real Celery worker process: each step's chunks run as a chord whose
callback closes the step and dispatches the next; the watchdog re-dispatches a stale chunk."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from autofin.business_date import business_date_current
from servicing.eod.registry import steps_ordered
from servicing.models.eod import BatchRun, ChunkRun, StepRun
from servicing.selectors.ledger import trial_balance
from servicing.tasks.eod import eod_batch_start, eod_watchdog
from tests.servicing.loan_helpers import make_loan, set_day

DAY = dt.date(2026, 2, 15)


@pytest.fixture
def eod_env(monkeypatch):
    # read by the worker process at start: several chunks on a small book, no bank exchange
    monkeypatch.setenv("EOD_CHUNK_SIZE", "2")


def wait_for(predicate, seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail("timed out")


def test_a_day_closes_through_chords_on_a_worker_and_the_watchdog_redispatches(
    eod_env, celery_worker_process
):
    from autofin.roles import Role
    from tests.factories import UserFactory

    loans = [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390000{5000 + i}"))
        for i in range(5)
    ]
    set_day(DAY)
    eod_batch_start.delay(DAY.isoformat())
    batch = wait_for(lambda: BatchRun.objects.filter(business_date=DAY, status="succeeded").first())
    steps = StepRun.objects.filter(batch=batch)
    assert steps.count() == len(steps_ordered())
    assert set(steps.values_list("status", flat=True)) == {"succeeded"}
    # the reconciliation (its finalize closes the step from the chord's callback) found none
    assert steps.get(code="reconciliation").result["differences"] == 0
    accrual = steps.get(code="accrual")
    assert accrual.chunks.count() >= 3  # 5 loans, 2 ids a chunk: a real chord of several tasks
    assert int(accrual.result["loans"]) == len(loans)
    assert business_date_current() == DAY + dt.timedelta(days=1)
    assert trial_balance().total == 0

    # a worker "died" holding a chunk of the next night: the watchdog sends it again
    nxt = DAY + dt.timedelta(days=1)
    eod_batch_start.delay(nxt.isoformat())
    wait_for(lambda: BatchRun.objects.filter(business_date=nxt, status="succeeded").exists())
    snapshot = StepRun.objects.get(batch__business_date=nxt, code="snapshot")
    chunk = snapshot.chunks.order_by("chunk_no").first()
    ChunkRun.objects.filter(pk=chunk.pk).update(
        status="running",
        owner="celery:dead-worker",
        heartbeat_at=chunk.finished_at - dt.timedelta(minutes=10),
    )
    eod_watchdog.delay()
    wait_for(lambda: ChunkRun.objects.get(pk=chunk.pk).status == "succeeded")
    chunk.refresh_from_db()
    assert chunk.owner.startswith("celery:") and chunk.owner != "celery:dead-worker"
    assert chunk.attempts == 2
