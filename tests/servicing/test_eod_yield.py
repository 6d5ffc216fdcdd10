"""The nightly batch yields to online traffic: web requests record their latency in Redis
(autofin.online_latency) and each worker, after a committed chunk, pauses longer while the online
p95 is high and shrinks its pause back once it is low - the chunk's backend never reniced, no
transaction open during a pause (see test_eod_throttle.py for the fixed pause)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from redis.exceptions import RedisError

from autofin import online_latency
from servicing.eod import runner
from servicing.eod.sync_driver import batch_run_sync
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

DAY = dt.date(2026, 2, 16)


@pytest.fixture(autouse=True)
def _yield_on(settings):
    # Autouse: every test here needs the yield on (tests run with it off) over a small book in
    # several chunks, with the auto-debit step kept from the bank
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2
    settings.EOD_CHUNK_PAUSE_MS = 50
    settings.EOD_YIELD_HIGH_MS = 300
    settings.EOD_YIELD_LOW_MS = 150
    settings.EOD_YIELD_STEP_MS = 200
    settings.EOD_YIELD_MAX_PAUSE_MS = 1600
    settings.EOD_YIELD_WINDOW_SECONDS = 10
    online_latency.redis_client().delete(online_latency.KEY)
    runner._pause_ms = None
    yield
    online_latency.redis_client().delete(online_latency.KEY)
    runner._pause_ms = None


def _online(ms: float, n: int = 20, *, ago: float = 0.0) -> None:
    for _ in range(n):
        online_latency.latency_record(ms, now=time.time() - ago)


def test_pauses_grow_while_online_p95_is_high_and_shrink_back_when_it_is_low():
    _online(900)  # users waiting 0.9 s
    assert [runner.yield_pause_ms() for _ in range(5)] == [200, 400, 800, 1600, 1600]
    _online(250, n=online_latency.KEEP)  # between the thresholds: hold, no flapping
    assert online_latency.p95_of(online_latency.online_durations_ms()) == 250
    assert runner.yield_pause_ms() == 1600
    _online(40, n=online_latency.KEEP)  # fast again
    assert [runner.yield_pause_ms() for _ in range(6)] == [800, 400, 200, 100, 50, 50]


def test_old_or_too_few_requests_say_nothing_and_the_fixed_pause_holds(settings):
    _online(5000, ago=30)  # slow, but outside the 10 s window
    assert online_latency.p95_of(online_latency.online_durations_ms()) is None
    _online(5000, n=online_latency.MIN_SAMPLES - 1)
    assert online_latency.p95_of(online_latency.online_durations_ms()) is None
    assert runner.yield_pause_ms() == 50
    settings.EOD_YIELD_HIGH_MS = 0  # adaptation off: the fixed pause whatever the signal
    _online(5000, n=50)
    assert runner.yield_pause_ms() == 50


def test_no_pause_while_nobody_is_online_and_the_pause_is_back_with_the_first_requests():
    _online(5000, ago=30)  # the last request finished outside the window: nobody online
    assert [runner.yield_pause_ms() for _ in range(3)] == [0, 0, 0]
    _online(40, n=1)  # someone is back, too few to tell their latency: the fixed pause
    assert runner.yield_pause_ms() == 50
    _online(900)  # and slow: the pause grows from the fixed one
    assert runner.yield_pause_ms() == 200


def test_a_redis_that_does_not_answer_keeps_the_fixed_pause(monkeypatch):
    def down(*args):
        raise RedisError("connection refused")

    monkeypatch.setattr(online_latency.redis_client(), "lrange", down)
    assert online_latency.online_durations_ms() is None
    assert runner.yield_pause_ms() == 50


def test_the_middleware_records_what_a_request_took_and_nothing_when_off(settings):
    def view(request):
        time.sleep(0.03)
        return HttpResponse("ok")

    middleware = online_latency.OnlineLatencyMiddleware(view)
    assert middleware(RequestFactory().get("/api/v1/quotes/")).content == b"ok"
    entries = online_latency.redis_client().lrange(online_latency.KEY, 0, -1)
    assert len(entries) == 1
    stamp, duration = (int(x) for x in entries[0].decode().split(":"))
    assert abs(stamp / 1000 - time.time()) < 5 and 30 <= duration < 5000
    settings.EOD_YIELD_HIGH_MS = 0
    middleware(RequestFactory().get("/api/v1/quotes/"))
    assert online_latency.redis_client().llen(online_latency.KEY) == 1


@pytest.mark.django_db(transaction=True)
def test_the_batch_backs_off_between_chunks_with_no_lock_held(monkeypatch):
    for i in range(3):
        make_loan(customer=UserFactory(phone=f"1390000320{i}"))
    set_day(DAY)
    _online(2000, n=50)
    pauses: list[tuple[float, int, bool]] = []

    def sleep(seconds: float) -> None:
        pauses.append(
            (
                seconds,
                connection.connection.get_transaction_status(),
                connection.in_atomic_block,
            )
        )

    monkeypatch.setattr(runner.time, "sleep", sleep)
    batch = batch_run_sync(business_date=DAY)

    assert batch.status == "succeeded"
    assert len(pauses) >= 10
    seconds = [p[0] for p in pauses]
    assert seconds[:4] == [0.2, 0.4, 0.8, 1.6]
    assert set(seconds[4:]) == {1.6}  # the online p95 stayed high: the longest pause
    assert {p[1:] for p in pauses} == {(TRANSACTION_STATUS_IDLE, False)}
