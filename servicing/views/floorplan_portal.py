"""The dealer portal's floor-plan pages (库存融资), servicing's own in the dealer navigation:
the line's use (limit, used, available, status), the advances with their curtailments and 合格证,
the advance request form (the dealer admin), and the line statement with its CSV. Every query is
scoped to the signed-in staff member's dealer."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext

from autofin.business_date import business_date_current
from autofin.idempotency import idempotent
from autofin.roles import MoneyAction, can_move_money
from dealers.views.access import is_dealer_admin, portal_render, portal_view
from origination.models.floorplan import FloorplanLineStatus
from origination.selectors.floorplan import line_use
from servicing.forms.floorplan_advances import AdvanceRequestForm
from servicing.selectors import floorplan_pages as pages
from servicing.selectors.floorplan import line_statement
from servicing.services.floorplan.advances import FloorplanError, advance_request
from servicing.views.floorplan_audits import line_statement_csv_response


def _may_request(request) -> bool:
    """The dealer's admin asks for financing (a money action, checked as the service does)."""
    return is_dealer_admin(request) and can_move_money(
        request.user, MoneyAction.FLOORPLAN_ADVANCE_REQUEST
    )


def _line_context(request) -> dict:
    line = pages.dealer_line(request.dealer.pk)
    return {
        "line": line,
        "figures": line_use(line) if line else None,
        "can_request": line is not None
        and line.status == FloorplanLineStatus.ACTIVE
        and _may_request(request),
    }


@portal_view
def dealer_floorplan(request):
    return portal_render(
        request,
        "servicing/floorplan/portal.html",
        {**_line_context(request), "advances": pages.dealer_advances(request.dealer.pk)},
    )


def _request_page(request, form, status=200) -> HttpResponse:
    response = portal_render(
        request,
        "servicing/floorplan/portal_request.html",
        {**_line_context(request), "form": form, "token": uuid.uuid4().hex},
    )
    response.status_code = status
    return response


@portal_view
def dealer_floorplan_request(request):
    """The dealer admin asks to finance one car of stock; refusals (over the available limit,
    the VIN already financed, a frozen line…) come back on the form in Chinese."""
    if not _may_request(request):
        raise PermissionDenied
    if request.method != "POST":
        return _request_page(request, AdvanceRequestForm())
    form = AdvanceRequestForm(request.POST)
    if not form.is_valid():
        return _request_page(request, form, status=400)
    line = pages.dealer_line(request.dealer.pk)
    if line is None:
        raise PermissionDenied

    def run(key: str):  # noqa: ARG001 - the VIN's one live advance is the service's key
        try:
            advance = advance_request(line=line, by=request.user, **form.request_fields())
        except FloorplanError as exc:
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, exc.message)
            return _request_page(request, form, status=400)
        messages.success(
            request,
            gettext("融资申请已提交（车架号 %(vin)s），等待审批。") % {"vin": advance.vin},
        )
        return redirect("servicing:dealer_floorplan")

    return idempotent(request, run=run, form=True)


@portal_view
def dealer_floorplan_statement(request):
    line = pages.dealer_line(request.dealer.pk)
    statement = line_statement(line=line, start=None, end=business_date_current()) if line else None
    return portal_render(
        request,
        "servicing/floorplan/portal_statement.html",
        {**_line_context(request), "statement": statement},
    )


@portal_view
def dealer_floorplan_statement_csv(request):
    line = pages.dealer_line(request.dealer.pk)
    if line is None:
        raise PermissionDenied
    statement = line_statement(line=line, start=None, end=business_date_current())
    return line_statement_csv_response(statement, filename=f"floorplan-{line.pk}.csv")
