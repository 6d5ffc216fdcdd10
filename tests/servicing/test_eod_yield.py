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
from servicing.eod import throttle
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
    settings.EOD_YIELD_TARGET_RATIO = 2.0
    settings.EOD_YIELD_IDLE_SECONDS = 300
    online_latency.redis_client().delete(online_latency.KEY, online_latency.IDLE_KEY)
    throttle._pause_ms = None
    yield
    online_latency.redis_client().delete(online_latency.KEY, online_latency.IDLE_KEY)
    throttle._pause_ms = None


def _online(ms: float, n: int = 20, *, ago: float = 0.0) -> None:
    for _ in range(n):
        online_latency.latency_record(ms, now=time.time() - ago)


def test_pauses_grow_while_online_p95_is_high_and_shrink_back_when_it_is_low():
    _online(900)  # users waiting 0.9 s
    assert [throttle.yield_pause_ms() for _ in range(5)] == [200, 400, 800, 1600, 1600]
    _online(250, n=online_latency.KEEP)  # between the thresholds: hold, no flapping
    assert online_latency.p95_of(online_latency.online_durations_ms()) == 250
    assert throttle.yield_pause_ms() == 1600
    _online(40, n=online_latency.KEEP)  # fast again
    assert [throttle.yield_pause_ms() for _ in range(6)] == [800, 400, 200, 100, 50, 50]


def test_old_or_too_few_requests_say_nothing_and_the_fixed_pause_holds(settings):
    _online(5000, ago=30)  # slow, but outside the 10 s window
    assert online_latency.p95_of(online_latency.online_durations_ms()) is None
    _online(5000, n=online_latency.MIN_SAMPLES - 1)
    assert online_latency.p95_of(online_latency.online_durations_ms()) is None
    assert throttle.yield_pause_ms() == 50
    settings.EOD_YIELD_HIGH_MS = 0  # adaptation off: the fixed pause whatever the signal
    _online(5000, n=50)
    assert throttle.yield_pause_ms() == 50


def test_no_pause_while_nobody_is_online_and_the_pause_is_back_with_the_first_requests():
    _online(5000, ago=30)  # the last request finished outside the window: nobody online
    assert [throttle.yield_pause_ms() for _ in range(3)] == [0, 0, 0]
    _online(40, n=1)  # someone is back, too few to tell their latency: the fixed pause
    assert throttle.yield_pause_ms() == 50
    _online(900)  # and slow: the pause grows from the fixed one
    assert throttle.yield_pause_ms() == 200


def test_a_redis_that_does_not_answer_keeps_the_fixed_pause(monkeypatch):
    def down(*args):
        raise RedisError("connection refused")

    monkeypatch.setattr(online_latency.redis_client(), "lrange", down)
    assert online_latency.online_durations_ms() is None
    assert throttle.yield_pause_ms() == 50


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
def test_the_batch_backs_off_between_chunks_with_no_lock_held(settings, monkeypatch):
    # the slow requests below come before the opening, which would take them as the idle
    # figure: no idle window, so the absolute thresholds judge them
    settings.EOD_YIELD_IDLE_SECONDS = 0
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

    monkeypatch.setattr(throttle.time, "sleep", sleep)
    batch = batch_run_sync(business_date=DAY)

    assert batch.status == "succeeded"
    assert len(pauses) >= 10
    seconds = [p[0] for p in pauses]
    assert seconds[:4] == [0.2, 0.4, 0.8, 1.6]
    assert set(seconds[4:]) == {1.6}  # the online p95 stayed high: the longest pause
    assert {p[1:] for p in pauses} == {(TRANSACTION_STATUS_IDLE, False)}


def test_with_an_idle_figure_the_batch_yields_to_twice_it_not_to_the_absolute_thresholds():
    online_latency.redis_client().set(online_latency.IDLE_KEY, 100)  # 100 ms with no batch
    # target 2 x 100: grow above 0.85 x 200 = 170, shrink below 0.6 x 200 = 120
    assert throttle.thresholds_ms() == (170, 120)
    _online(180, n=online_latency.KEEP)  # under the absolute 300 ms, but 1.8x idle
    assert [throttle.yield_pause_ms() for _ in range(3)] == [200, 400, 800]
    _online(150, n=online_latency.KEEP)  # within the band: hold
    assert throttle.yield_pause_ms() == 800
    _online(110, n=online_latency.KEEP)  # close to idle again: give the batch its pace back
    assert [throttle.yield_pause_ms() for _ in range(5)] == [400, 200, 100, 50, 50]


def test_a_fast_idle_figure_keeps_a_margin_so_noise_does_not_throttle():
    online_latency.redis_client().set(online_latency.IDLE_KEY, 10)
    assert throttle.thresholds_ms() == (40, 25)  # not 17 and 12: a few ms is noise
    _online(30, n=online_latency.KEEP)
    assert throttle.yield_pause_ms() == 50  # held at the fixed pause


def test_the_idle_figure_is_the_p95_of_the_requests_before_the_opening_and_outlives_a_quiet_one():
    now = time.time()
    for i in range(40):  # 10, 20, ... 400 ms within the last five minutes
        online_latency.latency_record(10 * (i + 1), now=now - 60)
    _online(5000, n=30, ago=600)  # older than EOD_YIELD_IDLE_SECONDS: not tonight's idle
    assert online_latency.idle_baseline_store(now=now) == 380  # nearest rank 0.95 of 40
    online_latency.redis_client().delete(online_latency.KEY)
    _online(900, n=online_latency.IDLE_MIN_SAMPLES - 1)  # too few to tell: the figure stays
    assert online_latency.idle_baseline_store() == 380


def test_no_idle_figure_and_the_absolute_thresholds_apply(settings):
    assert online_latency.idle_p95() is None
    assert throttle.thresholds_ms() == (300, 150)
    settings.EOD_YIELD_HIGH_MS = 0  # adaptation off: nothing is measured at the opening
    _online(80, n=50)
    assert online_latency.idle_baseline_store() is None
    assert online_latency.redis_client().get(online_latency.IDLE_KEY) is None


@pytest.mark.django_db(transaction=True)
def test_opening_the_batch_takes_the_idle_figure(monkeypatch):
    make_loan(customer=UserFactory(phone="13900003299"))
    set_day(DAY)
    _online(80, n=30, ago=120)  # the evening's requests, finished before the batch
    monkeypatch.setattr(throttle.time, "sleep", lambda seconds: None)
    assert batch_run_sync(business_date=DAY).status == "succeeded"
    assert online_latency.idle_p95() == 80
