"""The nightly batch's throttle: after each chunk it committed, a worker pauses before taking the
next one, so online requests get the machine and the rows the chunk held.

The pause is EOD_CHUNK_PAUSE_MS, adapted to the online latency the web processes record
(autofin.online_latency). What "slow" means is relative when it can be: the batch's promise is
that online requests stay within EOD_YIELD_TARGET_RATIO times what they take with no batch
running (the idle p95 measured when the batch opened, `idle_p95`), because an absolute threshold
suits one deployment's endpoints and no other's — at 300 ms a 84 ms quote could slow to 3.6x
before the batch yielded at all. With no idle figure known (nobody was online before the batch,
or Redis lost it) the absolute EOD_YIELD_HIGH_MS / EOD_YIELD_LOW_MS apply.

The chunk's database backend is never deprioritised: a backend holding row locks that online
postings wait for must run at full speed (lowering it would invert priorities).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from autofin.online_latency import idle_p95, online_durations_ms, p95_of

log = logging.getLogger(__name__)

# Of the target (ratio x idle p95): the pause grows above HIGH_SHARE of it and shrinks below
# LOW_SHARE. Growing before the target is reached because the signal lags (a window of seconds,
# read once a chunk); the gap between the two keeps the pause from flapping around one value.
HIGH_SHARE = 0.85
LOW_SHARE = 0.6
# A few milliseconds of difference is noise, not users waiting: thresholds never closer than
# this to the idle figure.
MIN_MARGIN_MS = 15

_pause_ms: int | None = None  # this worker process's current pause (None: not adapted yet)


def chunk_pause() -> int:
    """Sleep the next pause (`yield_pause_ms`), with no transaction open: the caller has
    committed the chunk, its row locks are released. Returns the milliseconds slept."""
    pause_ms = yield_pause_ms()
    if pause_ms > 0:
        time.sleep(pause_ms / 1000)
    return max(pause_ms, 0)


def thresholds_ms() -> tuple[float, float]:
    """(high, low): above high the pause grows, below low it shrinks, between them it holds."""
    idle = idle_p95()
    if idle is None:
        return float(settings.EOD_YIELD_HIGH_MS), float(settings.EOD_YIELD_LOW_MS)
    target = settings.EOD_YIELD_TARGET_RATIO * idle
    high = max(HIGH_SHARE * target, idle + 2 * MIN_MARGIN_MS)
    low = max(LOW_SHARE * target, idle + MIN_MARGIN_MS)
    return high, low


def yield_pause_ms() -> int:
    """The next pause: while the online p95 is above the high threshold it doubles (at least
    EOD_YIELD_STEP_MS, at most EOD_YIELD_MAX_PAUSE_MS); below the low one - or with too few
    requests to tell - it halves back towards EOD_CHUNK_PAUSE_MS; in between it holds. Doubling
    and halving per chunk: a chunk is seconds of work, so the batch backs off within a few chunks
    of users waiting and recovers as fast once they no longer do. No request within the window:
    nobody to yield to, no pause (100 ms after each of thousands of chunks was the quiet night's
    largest fixed cost); a Redis that does not answer: it holds. EOD_YIELD_HIGH_MS = 0 turns the
    adaptation off: the fixed pause."""
    global _pause_ms
    base = settings.EOD_CHUNK_PAUSE_MS
    if settings.EOD_YIELD_HIGH_MS <= 0:
        return base
    durations = online_durations_ms()
    if durations == []:
        _pause_ms = base
        return 0
    current = base if _pause_ms is None else _pause_ms
    p95 = p95_of(durations)
    high, low = thresholds_ms()
    if p95 is not None and p95 > high:
        current = min(
            settings.EOD_YIELD_MAX_PAUSE_MS, max(current * 2, base, settings.EOD_YIELD_STEP_MS)
        )
    elif p95 is None or p95 < low:
        current = max(base, current // 2)
    if current != _pause_ms and current != base:
        log.info("eod: online p95 %s ms (high %.0f), pausing %s ms a chunk", p95, high, current)
    _pause_ms = current
    return current
