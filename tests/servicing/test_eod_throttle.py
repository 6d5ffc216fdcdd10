"""The nightly batch's fixed throttle: after each chunk it committed, a worker pauses
EOD_CHUNK_PAUSE_MS with no transaction open (the chunk's row locks released); the chunk's
database backend is never deprioritised (no renicing of a backend holding locks)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import connection
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from autofin.roles import Role
from servicing.eod import runner, throttle
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.eod import ChunkRun
from servicing.models.loans import Loan
from servicing.selectors import eod as eod_sel
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

DAY = dt.date(2026, 2, 16)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def _book(n: int = 3) -> list[Loan]:
    return [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390000310{i}"))
        for i in range(n)
    ]


def _backend_nice() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return os.getpriority(os.PRIO_PROCESS, pid)  # the tests' PostgreSQL runs on this host


@pytest.mark.django_db(transaction=True)
def test_a_worker_pauses_after_each_committed_chunk_with_its_locks_released(settings, monkeypatch):
    settings.EOD_CHUNK_PAUSE_MS = 40
    _book()
    set_day(DAY)
    nice = _backend_nice()
    pauses: list[tuple[float, int, bool, int]] = []

    def sleep(seconds: float) -> None:
        pauses.append(
            (
                seconds,
                connection.connection.get_transaction_status(),
                connection.in_atomic_block,
                _backend_nice(),
            )
        )

    monkeypatch.setattr(throttle.time, "sleep", sleep)
    batch = batch_run_sync(business_date=DAY)

    assert batch.status == "succeeded"
    succeeded = ChunkRun.objects.filter(step__batch=batch, status="succeeded").count()
    assert succeeded >= 10  # every step, two chunks of two loans
    assert len(pauses) == succeeded
    # no transaction open during a pause (nothing locked), the backend's priority untouched
    assert set(pauses) == {(0.04, TRANSACTION_STATUS_IDLE, False, nice)}
    # each pause is kept on its chunk, and the 日结 page counts them
    chunks = ChunkRun.objects.filter(step__batch=batch, status="succeeded")
    assert set(chunks.values_list("pause_ms", flat=True)) == {40}
    assert eod_sel.batch_pauses(batch) == {"count": succeeded, "seconds": succeeded * 40 / 1000}


@pytest.mark.django_db
def test_no_pause_when_the_setting_is_zero_and_no_pause_for_a_skipped_chunk(settings, monkeypatch):
    settings.EOD_CHUNK_PAUSE_MS = 0
    calls: list[float] = []
    monkeypatch.setattr(throttle.time, "sleep", calls.append)
    throttle.chunk_pause()
    assert calls == []
    settings.EOD_CHUNK_PAUSE_MS = 25
    throttle.chunk_pause()
    assert calls == [0.025]
    assert runner.chunk_execute(chunk_id=987654321, owner="nobody") == "skipped"
    assert calls == [0.025]
