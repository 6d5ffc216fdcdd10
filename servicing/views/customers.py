"""The agent's customer pages (issue 21 §1): the search and one customer's page (header and
timeline), with the audited reveal of the full mobile and ID number. Customers and dealers get
403; a user who is not a customer is not found."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.reauth import recent_auth_required
from autofin.roles import user_has_role
from servicing.forms.customers import RevealForm
from servicing.selectors import customers as sel
from servicing.services.customers import (
    CUSTOMER_VIEW_ROLES,
    REVEAL_ROLES,
    CustomerRevealError,
    customer_identity_reveal,
)


def customer_view_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *CUSTOMER_VIEW_ROLES):
            return HttpResponseForbidden(_("您没有查看客户信息的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


@customer_view_required
def customer_search(request):
    query = request.GET.get("q", "").strip()
    results = sel.customer_search(query=query) if query else []
    rows = [
        {
            "user": user,
            "name": sel.name_masked(user.display_name),
            "phone": sel.phone_masked(user.phone),
            "loans": user.loan_count,
        }
        for user in results
    ]
    return render(
        request,
        "servicing/customers/search.html",
        {"q": query, "rows": rows, "limit": sel.SEARCH_LIMIT},
    )


def _page(request, user_id: int, *, revealed=None, form=None, status=200):
    customer = sel.customers().filter(pk=user_id).first()
    if customer is None:
        raise Http404
    kind = request.GET.get("kind", "")
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    view = sel.customer_view(customer=customer, viewer=request.user, kind=kind, page=page)
    return render(
        request,
        "servicing/customers/detail.html",
        {
            "view": view,
            "kind": kind if kind in sel.KINDS else "",
            "kinds": list(sel.KINDS.items()),
            "page": page,
            "revealed": revealed,
            "can_reveal": user_has_role(request.user, *REVEAL_ROLES),
            "reveal_form": form or RevealForm(),
        },
        status=status,
    )


@customer_view_required
def customer_detail(request, user_id: int):
    return _page(request, user_id)


@customer_view_required
@require_POST
@recent_auth_required
def customer_reveal(request, user_id: int):
    """The full mobile and ID number, on this response only (never stored in the session)."""
    if not sel.customers().filter(pk=user_id).exists():
        raise Http404
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _page(request, user_id, form=form, status=400)
    try:
        revealed = customer_identity_reveal(
            customer_id=user_id, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except CustomerRevealError as exc:
        if exc.code == "forbidden":
            return HttpResponseForbidden(exc.message)
        form.add_error("reason", exc.message)
        return _page(request, user_id, form=form, status=400)
    return _page(request, user_id, revealed=revealed)
