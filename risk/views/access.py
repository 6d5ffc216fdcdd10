"""Who reaches risk's pages: risk analysts; the bureau query log also the auditor."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from autofin.roles import Role, user_has_role


def risk_analyst_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_has_role(request.user, Role.RISK_ANALYST):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def bureau_log_reader_required(view):
    """The credit-bureau query log: risk analysts, the auditor and compliance read it."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_has_role(
            request.user, Role.RISK_ANALYST, Role.AUDITOR, Role.COMPLIANCE_OFFICER
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
