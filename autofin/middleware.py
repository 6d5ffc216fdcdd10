"""Response headers every page carries, and the idle limit of a session."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy, and no caching of what we generate.

    Every dynamic response (pages, API, PDFs: schedules, contracts, balances) is `no-store`
    unless its view chose a cache policy itself; a signed-in user's responses are always
    `no-store`. Static files are answered by WhiteNoise before this runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) or not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


def session_seen_mark(request) -> None:
    request.session[SessionIdleMiddleware.KEY] = int(time.time())


class SessionIdleMiddleware:
    """A session ends after `SESSION_IDLE_SECONDS` without a request.

    Touching the session at most once a minute renews its expiry (SESSION_COOKIE_AGE equals the
    idle limit) without writing the session table on every request.
    """

    KEY = "_autofin_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and getattr(request, "user", None) is not None:
            now = int(time.time())
            seen = session.get(self.KEY)
            if request.user.is_authenticated and seen is not None:
                if now - int(seen) > settings.SESSION_IDLE_SECONDS:
                    logout(request)
                elif now - int(seen) >= 60:
                    session[self.KEY] = now
            elif request.user.is_authenticated:
                session[self.KEY] = now
        return self.get_response(request)


class FriendlyForbiddenMiddleware:
    """A view's bare refusal (`HttpResponseForbidden("您没有…权限")`, plain text) shown as the
    403 page: its sentence, the navigation and a way back. The API, HTMX fragments and
    responses that are already a page are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 403
            or getattr(response, "streaming", False)
            or not response.get("Content-Type", "").startswith("text/html")
            or request.path.startswith("/api/")
            or request.headers.get("HX-Request")
            or b"<html" in response.content[:2000].lower()
        ):
            return response
        reason = response.content.decode(response.charset or "utf-8", "replace").strip()
        return render(request, "403.html", {"reason": reason}, status=403)
