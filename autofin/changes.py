"""Tell a waiting request that something changed, through Redis pub/sub.

A client that waits for an outcome (a customer's app waiting for the decision on their
application) asks once with a wait instead of polling every few tens of milliseconds: the request
subscribes to the topic, checks, and sleeps on the Redis socket (no CPU, no database) until the
writer announces a change after its commit or the wait runs out; then it reads again. The
message carries no data: the database stays the one source of the state, so a lost or duplicated
announcement costs at most one wait, never a wrong answer.

Redis being down costs the wait (the request answers at once, as a plain poll would), never the
writer's commit or a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "autofin:changed:"

_client: Redis | None = None


def _redis() -> Redis:
    global _client
    if _client is None:
        # The publisher's timeouts are short (a hung Redis must not hold a worker); the waiter's
        # socket reads are bounded by its own wait, passed to get_message.
        _client = Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _client


def change_announce(topic: str) -> None:
    """Announce a change of ``topic`` once the current transaction commits (now, outside one):
    a waiter woken before the commit would read the old state."""
    transaction.on_commit(lambda: _publish(topic))


def _publish(topic: str) -> None:
    try:
        _redis().publish(PREFIX + topic, b"")
    except RedisError as exc:
        log.warning("change of %s not announced: %s", topic, exc)


def change_wait(topic: str, *, seconds: float, pending: Callable[[], bool]) -> None:
    """Return once ``pending()`` is false or ``seconds`` have passed, waking on each announced
    change of ``topic`` to ask ``pending()`` again. Subscribed before the first ask, so a change
    committed between the caller's read and the subscription is not missed."""
    if seconds <= 0:
        return
    deadline = time.monotonic() + seconds
    pubsub = _redis().pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(PREFIX + topic)
        while pending():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            pubsub.get_message(timeout=remaining)
    except RedisError as exc:
        log.warning("waiting on %s failed, answering now: %s", topic, exc)
    finally:
        pubsub.close()
