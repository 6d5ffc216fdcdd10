"""The four-eyes queue: pending requests a checker may approve or reject, each showing what it
will change (before → after), and the maker's own requests to withdraw."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import (
    ApprovalError,
    approval_request_approve,
    approval_request_cancel,
    approval_request_reject,
    approval_requests_pending_for,
)
from autofin.roles import STAFF_ROLES, user_has_role


def _staff(user) -> None:
    # Customers and dealer staff have no four-eyes actions; the service checks each action.
    if not user_has_role(user, *STAFF_ROLES):
        raise PermissionDenied


@login_required
def approvals(request):
    _staff(request.user)
    items = approval_requests_pending_for(request.user)
    return render(
        request,
        "autofin/approvals.html",
        {
            "to_check": [i for i in items if i.may_check],
            "own": [i for i in items if i.own],
        },
    )


def _decide(request, request_id: int, verb: str):
    _staff(request.user)
    reason = (request.POST.get("reason") or "").strip()
    try:
        if verb == "approve":
            approval_request_approve(request_id=request_id, checker=request.user, reason=reason)
            messages.success(request, _("已批准并执行。"))
        elif verb == "reject":
            approval_request_reject(request_id=request_id, checker=request.user, reason=reason)
            messages.success(request, _("已驳回，未做任何变更。"))
        else:
            approval_request_cancel(request_id=request_id, actor=request.user, reason=reason)
            messages.success(request, _("已撤回申请。"))
    except ApprovalError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    return redirect("approvals")


@login_required
@require_POST
def approval_approve(request, request_id: int):
    return _decide(request, request_id, "approve")


@login_required
@require_POST
def approval_reject(request, request_id: int):
    return _decide(request, request_id, "reject")


@login_required
@require_POST
def approval_cancel(request, request_id: int):
    return _decide(request, request_id, "cancel")
