from __future__ import annotations

import hmac
import time

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from autofin.forms import ReauthForm, ThrottledAuthenticationForm
from autofin.models_security import SecurityEventKind
from autofin.reauth import reauth_mark
from autofin.security_log import security_event_record


def home(request):
    return render(request, "autofin/home.html")


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def reauth(request):
    """Re-enter the password before a money action; then back to the page it came from."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "home"
    form = ReauthForm(request.POST or None, request=request)
    if request.method == "POST":
        if form.is_valid():
            reauth_mark(request)
            security_event_record(kind=SecurityEventKind.REAUTH_SUCCESS, request=request)
            return redirect(next_url)
        security_event_record(kind=SecurityEventKind.REAUTH_FAILURE, request=request)
    return render(request, "registration/reauth.html", {"form": form, "next": next_url})


def _describe_database() -> dict:
    settings_dict = connection.settings_dict
    host = settings_dict.get("HOST") or "local socket"
    return {
        "engine": connection.vendor,
        "host": host,
        "port": settings_dict.get("PORT") or "",
        "name": settings_dict.get("NAME"),
    }


@never_cache
def healthz(request):
    """Liveness for load balancers and the launcher: can we reach the database and the broker?

    Anyone gets ok / not ok; versions, hosts and errors only a signed-in staff member sees.
    """
    from django.conf import settings
    from redis import Redis

    result: dict = {"status": "ok"}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("select version()")
            version = cursor.fetchone()[0]
        result["database"] = {"ok": True, "version": version.split(",")[0], **_describe_database()}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok", reported as such
        result["database"] = {"ok": False, "error": str(exc)[:200]}
    try:
        client = Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
        )
        info = client.info("server")
        result["broker"] = {
            "ok": True,
            "redis_version": info.get("redis_version"),
            "url": _redact(settings.CELERY_BROKER_URL),
        }
    except Exception as exc:  # noqa: BLE001
        result["broker"] = {"ok": False, "error": str(exc)[:200]}
    result["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = result["database"]["ok"] and result["broker"]["ok"]
    result["status"] = "ok" if healthy else "error"
    status = 200 if healthy else 503
    if not _may_see_health_details(request):
        return JsonResponse({"status": result["status"]}, status=status)
    return JsonResponse(result, status=status)


def _may_see_health_details(request) -> bool:
    if request.user.is_authenticated and request.user.is_staff:
        return True
    # Monitoring (and the launcher's smoke test) present a shared token instead of a session.
    from django.conf import settings

    token = settings.HEALTHZ_DETAIL_TOKEN
    presented = request.headers.get("X-Healthz-Token", "")
    return bool(token) and hmac.compare_digest(token.encode(), presented.encode())


def _redact(url: str) -> str:
    # Never print a broker password in a health response.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):  # noqa: A002 - DRF's signature
    """The API's entry point: links to each area and to the schema and docs."""
    links = {
        "schema": request.build_absolute_uri("/api/schema/"),
        "docs": request.build_absolute_uri("/api/docs/"),
    }
    for name in ("products", "quotes", "applications", "dealer", "loans"):
        try:
            links[name] = reverse(f"api-{name}-root", request=request, format=format)
        except Exception:  # noqa: BLE001,S112 - an area not built yet has no link
            continue
    return Response(links)
