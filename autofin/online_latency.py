"""Online request latency as a signal the nightly batch can read.

A small middleware records each request's duration in Redis (one capped list, newest first,
each entry "<epoch ms>:<duration ms>"); `online_durations_ms` reads the last
EOD_YIELD_WINDOW_SECONDS of it, `p95_of` takes their nearest-rank p95. The batch's workers read
it after every chunk (servicing.eod.throttle) to pause longer while online users wait and less
once they no longer do, measured against the idle p95 taken when the batch opened
(`idle_baseline_store`, `idle_p95`). Redis,
not the database: the signal must stay readable when the database is the thing that is slow,
and recording it must not add a write to every request's transaction.

Recording is on only while the batch may read it (EOD_YIELD_HIGH_MS > 0); a Redis outage costs
the signal (the batch falls back to its fixed pause), never a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY = "autofin:online_latency"
IDLE_KEY = "autofin:online_latency:idle_p95"
IDLE_KEEP_SECONDS = 7 * 86400  # a later night with nobody online before it reuses this figure
IDLE_MIN_SAMPLES = 20
KEEP = 2000  # entries kept: a few seconds of a busy day, a minute of a quiet one
MIN_SAMPLES = 5  # fewer requests in the window say nothing about latency

_client: Redis | None = None


def percentile(values: Sequence[float], q: float) -> float:
    """The q quantile of ``values`` (q from 0 to 1): the value at the nearest rank to q of the way
    from the smallest to the largest, no interpolation; NaN for no values. The benches print
    their p50/p95/p99 with this one definition too (bench/_common.py)."""
    if not 0 <= q <= 1:
        raise ValueError(f"q is a fraction from 0 to 1, got {q}")
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def redis_client() -> Redis:
    global _client
    if _client is None:
        # short timeouts: a hung Redis must not hold a request or a batch worker
        _client = Redis.from_url(settings.REDIS_URL, socket_timeout=0.2, socket_connect_timeout=0.2)
    return _client


def latency_record(duration_ms: float, *, now: float | None = None) -> None:
    stamp = int((time.time() if now is None else now) * 1000)
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.lpush(KEY, f"{stamp}:{int(duration_ms)}")
        pipe.ltrim(KEY, 0, KEEP - 1)
        pipe.execute()
    except RedisError as exc:
        log.warning("online latency not recorded: %s", exc)


def online_durations_ms(*, now: float | None = None) -> list[float] | None:
    """The durations (ms) of the requests that finished within the last
    EOD_YIELD_WINDOW_SECONDS, newest first; [] when no request did (nobody online), None when
    Redis did not answer (nothing known)."""
    since = int(((time.time() if now is None else now) - settings.EOD_YIELD_WINDOW_SECONDS) * 1000)
    try:
        entries = redis_client().lrange(KEY, 0, KEEP - 1)
    except RedisError as exc:
        log.warning("online latency not readable: %s", exc)
        return None
    durations = []
    for entry in entries:
        stamp, _, duration = entry.decode().partition(":")
        if int(stamp) < since:
            break  # newest first: the rest are older still
        durations.append(float(duration))
    return durations


def idle_baseline_store(*, now: float | None = None) -> float | None:
    """At a batch's opening: the p95 of the requests of the last EOD_YIELD_IDLE_SECONDS (no batch
    was running) becomes the idle figure the throttle measures the night against. Too few
    requests to tell: the figure an earlier opening stored stays. Returns the stored figure."""
    if settings.EOD_YIELD_HIGH_MS <= 0:
        return None  # adaptation off: nothing records requests, nothing to measure against
    now = time.time() if now is None else now
    since = int((now - settings.EOD_YIELD_IDLE_SECONDS) * 1000)
    try:
        client = redis_client()
        durations = [
            float(duration)
            for stamp, _, duration in (e.decode().partition(":") for e in client.lrange(KEY, 0, -1))
            if int(stamp) >= since
        ]
        if len(durations) >= IDLE_MIN_SAMPLES:
            client.set(IDLE_KEY, percentile(durations, 0.95), ex=IDLE_KEEP_SECONDS)
    except RedisError as exc:
        log.warning("idle latency not stored: %s", exc)
    return idle_p95()


def idle_p95() -> float | None:
    """The online p95 with no batch running, as last stored; None when unknown."""
    try:
        value = redis_client().get(IDLE_KEY)
    except RedisError as exc:
        log.warning("idle latency not readable: %s", exc)
        return None
    return None if value is None else float(value)


def p95_of(durations: list[float] | None) -> float | None:
    """The p95 of `online_durations_ms`'s answer; None when too few requests to tell."""
    if durations is None or len(durations) < MIN_SAMPLES:
        return None
    return percentile(durations, 0.95)


class OnlineLatencyMiddleware:
    """Times every request (outermost, so the figure is what the client waited for, less the
    network) and records it for the batch's adaptive pause."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.EOD_YIELD_HIGH_MS <= 0:
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        latency_record((time.monotonic() - started) * 1000)
        return response
