"""The security log: one writer, the sign-in hooks, the 403 hook and retention.

Kept at least 180 days (网络安全法 第21条: network logs kept no less than six months);
`SECURITY_LOG_RETENTION_DAYS` may only lengthen that, and the database refuses deleting younger
rows whatever the setting says.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from autofin.models import SecurityEvent, SecurityEventKind

log = logging.getLogger(__name__)

LEGAL_MINIMUM_DAYS = 180


def _ip(request) -> str | None:
    value = request.META.get("REMOTE_ADDR") if request is not None else None
    return value or None


def security_event_record(
    *,
    kind: SecurityEventKind | str,
    request=None,
    user=None,
    label: str = "",
    status_code: int | None = None,
    detail: dict | None = None,
) -> SecurityEvent:
    """Append one row. `user` defaults to the request's signed-in user.

    Written in its own statement (autocommit, or the caller's transaction): a refusal's row must
    survive even when the refused request rolls back, so callers on an error path record after
    their transaction ended.
    """
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        user = candidate if getattr(candidate, "is_authenticated", False) else None
    if user is not None and not label:
        label = user.get_username()
    return SecurityEvent.objects.create(
        kind=str(kind),
        actor=user if getattr(user, "pk", None) else None,
        actor_label=label[:150],
        ip=_ip(request),
        method=(request.method or "")[:10] if request is not None else "",
        path=request.path[:300] if request is not None else "",
        status_code=status_code,
        detail=detail or {},
    )


# --- sign-in hooks (django.contrib.auth signals: every login form and the admin send them) ---


def on_logged_in(sender, request, user, **kwargs) -> None:  # noqa: ARG001 - signal signature
    # The session's clocks start in autofin.reauth's own sign-in hook (reauth_connect).
    security_event_record(kind=SecurityEventKind.LOGIN_SUCCESS, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:  # noqa: ARG001
    from django.contrib.auth import get_user_model

    User = get_user_model()
    typed = str((credentials or {}).get(User.USERNAME_FIELD) or "")
    user = User.objects.filter(**{User.USERNAME_FIELD: typed}).first() if typed else None
    # A typed name that is no account is often a password typed in the wrong box: not stored.
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILURE,
        request=request,
        user=user,
        label=user.get_username() if user else "unknown",
    )


def on_logged_out(sender, request, user, **kwargs) -> None:  # noqa: ARG001
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


def on_user_pre_save(sender, instance, update_fields=None, **kwargs) -> None:  # noqa: ARG001
    # A password is a key: its change is logged (not the hash). Saves that name their fields and
    # leave the password out (last_login on every sign-in) cost nothing.
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    # The first password of a new account (old one empty) is no change of a key.
    if old and old != instance.password:
        instance._security_password_changed = True


def on_user_post_save(sender, instance, created, **kwargs) -> None:  # noqa: ARG001
    if getattr(instance, "_security_password_changed", False):
        del instance._security_password_changed
        security_event_record(
            kind=SecurityEventKind.KEY_CHANGE, user=instance, detail={"what": "password"}
        )


def on_token_saved(sender, instance, created, **kwargs) -> None:  # noqa: ARG001
    if created:
        security_event_record(
            kind=SecurityEventKind.KEY_CHANGE, user=instance.user, detail={"what": "api_token"}
        )


def on_token_deleted(sender, instance, **kwargs) -> None:  # noqa: ARG001
    security_event_record(
        kind=SecurityEventKind.KEY_CHANGE,
        user=instance.user,
        detail={"what": "api_token", "change": "revoked"},
    )


def security_log_connect() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.db.models.signals import post_delete, post_save, pre_save
    from rest_framework.authtoken.models import Token

    User = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="autofin.security.logged_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="autofin.security.login_failed")
    user_logged_out.connect(on_logged_out, dispatch_uid="autofin.security.logged_out")
    pre_save.connect(on_user_pre_save, sender=User, dispatch_uid="autofin.security.pw_pre")
    post_save.connect(on_user_post_save, sender=User, dispatch_uid="autofin.security.pw_post")
    post_save.connect(on_token_saved, sender=Token, dispatch_uid="autofin.security.token")
    post_delete.connect(on_token_deleted, sender=Token, dispatch_uid="autofin.security.token_del")


# --- permission refusals ---------------------------------------------------------------------


# Money-moving endpoints not guarded by autofin.reauth.recent_auth_required (which logs its own):
# the API's and the customer's payment pages. A POST to one is logged as a money action.
MONEY_VIEW_NAMES: set[str] = {
    "servicing-api:repayment-create",
    "servicing-api:payment-create",
    "servicing-api:repayment-reverse",
    "servicing-api:payment-callback",
    "servicing:my_loan_pay",
    "servicing:my_loan_payoff",
    "servicing:my_loan_prepay",
}


class SecurityLogMiddleware:
    """Every 403 (pages, API, CSRF failures) and every POST to a money endpoint is logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            if response.status_code == 403:
                security_event_record(
                    kind=SecurityEventKind.PERMISSION_DENIED, request=request, status_code=403
                )
            elif request.method == "POST" and _view_name(request) in MONEY_VIEW_NAMES:
                match = request.resolver_match
                security_event_record(
                    kind=SecurityEventKind.MONEY_ACTION,
                    request=request,
                    status_code=response.status_code,
                    detail={
                        "view": match.view_name,
                        "args": {k: str(v) for k, v in match.kwargs.items()},
                    },
                )
        except Exception:  # a log write failing must not turn an answer into a 500
            log.exception("security log: could not record %s %s", request.method, request.path)
        return response


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


# --- retention -------------------------------------------------------------------------------


def security_log_retention_days() -> int:
    days = settings.SECURITY_LOG_RETENTION_DAYS
    if days < LEGAL_MINIMUM_DAYS:
        raise ImproperlyConfigured(
            f"SECURITY_LOG_RETENTION_DAYS={days}: the security log must be kept at least "
            f"{LEGAL_MINIMUM_DAYS} days (网络安全法 第21条)"
        )
    return days


def security_log_prune(*, now: dt.datetime | None = None) -> int:
    """Delete rows older than the retention; returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=security_log_retention_days())
    deleted, _ = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def security_log_retention_check(app_configs=None, **kwargs) -> list:  # noqa: ARG001
    """System check: a retention under the legal minimum is an error at start-up, not at 03:15."""
    from django.core.checks import Error

    if settings.SECURITY_LOG_RETENTION_DAYS >= LEGAL_MINIMUM_DAYS:
        return []
    return [
        Error(
            f"SECURITY_LOG_RETENTION_DAYS={settings.SECURITY_LOG_RETENTION_DAYS} is under the "
            f"{LEGAL_MINIMUM_DAYS} days the security log must be kept (网络安全法 第21条).",
            hint="Set SECURITY_LOG_RETENTION_DAYS to 180 or more.",
            id="autofin.E901",
        )
    ]
