"""`/healthz`: can we reach the database and the broker? Details for staff and monitoring."""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis import Redis


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
    token = settings.HEALTHZ_DETAIL_TOKEN
    presented = request.headers.get("X-Healthz-Token", "")
    return bool(token) and hmac.compare_digest(token.encode(), presented.encode())


def _redact(url: str) -> str:
    # Never print a broker password in a health response.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
