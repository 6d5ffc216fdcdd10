"""The payee register's pages (收款方登记簿, finance): the register, a change submitted by a
finance operator with its evidence, and a second person's decision. The register lives in
origination, the layer that names a contract's payees; servicing pays them and links here."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.reauth import recent_auth_required
from autofin.roles import Role, user_has_role
from autofin.uploads import upload_response
from origination.forms.payees import PayeeChangeForm
from origination.models.payees import PayeeChange
from origination.selectors.payees import payee_register
from origination.services.payees import (
    PayeeError,
    payee_change_approve,
    payee_change_prepare,
    payee_change_reject,
)

FINANCE = (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER)


def finance_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *FINANCE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@finance_view
def payee_list(request):
    form = PayeeChangeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            payee_change_prepare(actor=request.user, **form.cleaned_data)
        except PayeeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("收款方变更已提交，等待复核。"))
            return redirect("origination:payee_list")
    ctx = payee_register()
    ctx["form"] = form
    ctx["can_decide"] = user_has_role(request.user, Role.FINANCE_APPROVER)
    return render(request, "origination/payees/register.html", ctx)


@finance_view
def payee_change_evidence(request, change_id: int):
    """The evidence document of a payee change, for finance (the checker opens it)."""
    change = get_object_or_404(PayeeChange, pk=change_id)
    return upload_response(
        relative_path=change.evidence_path,
        content_type=change.evidence_content_type,
        allowed=bool(change.evidence_path),
    )


@finance_view
@require_POST
@recent_auth_required
def payee_change_decide(request, change_id: int):
    get_object_or_404(PayeeChange, pk=change_id)
    try:
        if request.POST.get("decision") == "approve":
            payee_change_approve(actor=request.user, change_id=change_id)
            messages.success(request, _("收款方变更已批准，账户已生效。"))
        else:
            payee_change_reject(
                actor=request.user, change_id=change_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("收款方变更已驳回。"))
    except PayeeError as exc:
        messages.error(request, exc.message)
    return redirect("origination:payee_list")
