"""Re-authentication for money actions: a password typed within the last few minutes.

A session remembers when its user last proved who they are (sign-in or re-entry of the
password). `recent_auth_required` guards a view: past `REAUTH_MAX_AGE_SECONDS` it sends the user
to the re-authentication page and back to where they came from; every request that gets through
is written to the security log as a money action.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from autofin.middleware import session_seen_mark
from autofin.models import SecurityEventKind
from autofin.security_log import security_event_record

SESSION_KEY = "_autofin_auth_at"


def reauth_mark(request) -> None:
    request.session[SESSION_KEY] = int(time.time())


def on_logged_in(sender, request, user, **kwargs) -> None:  # noqa: ARG001 - signal signature
    if request is not None and hasattr(request, "session"):
        # A sign-in is both a fresh proof of identity and the start of the idle clock.
        reauth_mark(request)
        session_seen_mark(request)


def reauth_connect() -> None:
    """Every sign-in (every login form and the admin send the signal) starts the clocks."""
    user_logged_in.connect(on_logged_in, dispatch_uid="autofin.reauth.logged_in")


def reauth_is_recent(request) -> bool:
    at = request.session.get(SESSION_KEY)
    return at is not None and time.time() - int(at) <= settings.REAUTH_MAX_AGE_SECONDS


def _back_to(request) -> str:
    # After a POST the form is shown again (its body is not replayed): back to the page it came
    # from when that page is ours, else the home page.
    if request.method == "GET":
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("home")


def recent_auth_required(view):
    """Guard a money action: the user re-enters the password if the last proof is too old."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and not reauth_is_recent(request):
            url = f"{reverse('reauth')}?{urlencode({'next': _back_to(request)})}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        response = view(request, *args, **kwargs)
        if request.method == "POST" and request.user.is_authenticated:
            security_event_record(
                kind=SecurityEventKind.MONEY_ACTION,
                request=request,
                status_code=response.status_code,
                detail={"view": view.__name__, "args": {k: str(v) for k, v in kwargs.items()}},
            )
        return response

    return wrapper
