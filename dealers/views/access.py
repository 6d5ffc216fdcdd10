"""Who reaches the pages: dealer staff the portal (/dealer/…), account managers their pages
(/dealer/manage/…); and the frame every portal page renders in.

Every portal query is scoped to the signed-in user's dealer; an object of another dealer is a
404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from autofin.roles import Role, user_has_role
from dealers import selectors
from dealers.models.staff import StaffRole
from dealers.portal import portal_nav


def portal_view(view):
    """Signed-in, active dealer staff only; sets request.dealer_staff and request.dealer."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = selectors.staff_for_user(request.user)
        if staff is None:
            raise PermissionDenied
        request.dealer_staff = staff
        request.dealer = staff.dealer
        return view(request, *args, **kwargs)

    return wrapper


def manager_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, Role.ACCOUNT_MANAGER, Role.SYSTEM_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def is_dealer_admin(request) -> bool:
    return request.dealer_staff.role == StaffRole.DEALER_ADMIN


def portal_render(request, template: str, context: dict) -> HttpResponse:
    context.update(
        {
            "dealer": request.dealer,
            "staff": request.dealer_staff,
            "is_dealer_admin": is_dealer_admin(request),
            "portal_nav": portal_nav(request.path),
        }
    )
    return render(request, template, context)
