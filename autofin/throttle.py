"""Login throttling: failures are counted per username and per client address in the cache."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from autofin.crypto import keyed_hash


def _keys(username: str, ip: str) -> list[str]:
    # Hashed so the cache never holds typed usernames (which are sometimes mistyped passwords).
    return [f"login-fail:u:{keyed_hash(username or '-')}", f"login-fail:ip:{ip or '-'}"]


def login_blocked(*, username: str, ip: str) -> bool:
    limit = settings.LOGIN_THROTTLE_LIMIT
    values = cache.get_many(_keys(username, ip))
    return any(int(v) >= limit for v in values.values())


def login_failure_record(*, username: str, ip: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for key in _keys(username, ip):
        # add() starts the window on the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)


def login_failures_clear(*, username: str) -> None:
    cache.delete(_keys(username, "")[0])


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
