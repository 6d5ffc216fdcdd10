"""Fixed-window rate limits in the cache, for what costs us CPU or money per request.

`rate_limit_hit` counts one request under a key and says whether it went over the limit;
`heavy_endpoint` guards a view (PDF and CSV rendering) per signed-in user or, for anonymous
callers, per client address.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

from autofin.crypto import keyed_hash


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request; True when it is over `limit` within the window (then refuse it)."""
    cache_key = f"rate:{scope}:{keyed_hash(key or '-')}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count > limit


def requester_key(request) -> str:
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def too_many_requests() -> HttpResponse:
    response = HttpResponse(
        _("请求过于频繁，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = "60"
    return response


def heavy_endpoint(view=None, *, only_formats: tuple[str, ...] | None = None):
    """At most HEAVY_ENDPOINT_RATE_PER_MINUTE requests a minute per user or address (429 beyond).

    With `only_formats`, only requests whose `fmt` view argument is one of them count (the HTML
    page of a schedule is cheap; its PDF is not).
    """

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            fmt = kwargs.get("fmt", "html")
            if (only_formats is None or fmt in only_formats) and rate_limit_hit(
                scope="heavy",
                key=requester_key(request),
                limit=settings.HEAVY_ENDPOINT_RATE_PER_MINUTE,
                window_seconds=60,
            ):
                return too_many_requests()
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
