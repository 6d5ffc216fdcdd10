"""Stock audit pages (盘库), phone-first: the auditor's list (schedule one), an audit's checklist
— each financed car recorded in stock with a photo taken on the spot, or not in stock with a
note — and its completion; plus the line statement's CSV for finance. Thin: the services
decide; the auditor roles are those of servicing.services.floorplan.audits."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.roles import user_has_role
from autofin.uploads import upload_response
from origination.models.floorplan import FloorplanLine
from servicing.forms.floorplan import AuditItemForm, AuditScheduleForm
from servicing.models.stock_audits import StockAudit, StockAuditItem
from servicing.selectors.floorplan import (
    audit_checklist,
    audits_board,
    line_statement,
    line_statement_csv_rows,
)
from servicing.services.floorplan.audits import (
    AUDITOR_ROLES,
    StockAuditError,
    audit_complete,
    audit_record_item,
    audit_schedule,
    audit_start,
)
from servicing.views.disbursement import finance_view


def auditor_view(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *AUDITOR_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@auditor_view
def audit_list(request):
    form = AuditScheduleForm(
        request.POST or None, initial={"scheduled_on": business_date_current()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit = audit_schedule(
                line=form.cleaned_data["line"],
                kind=form.cleaned_data["kind"],
                scheduled_on=form.cleaned_data["scheduled_on"],
                by=request.user,
            )
        except StockAuditError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, gettext("已安排盘库。"))
            return redirect("servicing:floorplan_audit", audit_id=audit.pk)
    return render(
        request,
        "servicing/floorplan/audit_list.html",
        {"audits": audits_board(), "form": form},
        status=400 if form.errors else 200,
    )


def _audit_page(request, audit: StockAudit, *, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    rows = audit_checklist(audit)
    for row in rows:
        row["form"] = forms.get(row["item"].pk) or AuditItemForm(auto_id=f"item{row['item'].pk}_%s")
    return render(
        request,
        "servicing/floorplan/audit_detail.html",
        {
            "audit": audit,
            "rows": rows,
            "recorded": sum(1 for r in rows if r["item"].seen is not None),
            "is_open": audit.status in ("scheduled", "in_progress"),
        },
        status=status,
    )


@auditor_view
def audit_detail(request, audit_id: int):
    audit = get_object_or_404(StockAudit.objects.select_related("line__dealer"), pk=audit_id)
    return _audit_page(request, audit)


def _back(audit_id: int):
    return redirect("servicing:floorplan_audit", audit_id=audit_id)


@auditor_view
@require_POST
def audit_begin(request, audit_id: int):
    try:
        audit_start(audit=get_object_or_404(StockAudit, pk=audit_id), by=request.user)
    except StockAuditError as exc:
        messages.error(request, exc.message)
    return _back(audit_id)


@auditor_view
@require_POST
def audit_item_record(request, audit_id: int, item_id: int):
    item = get_object_or_404(StockAuditItem, pk=item_id, audit_id=audit_id)
    form = AuditItemForm(request.POST, request.FILES, auto_id=f"item{item.pk}_%s")
    if form.is_valid():
        try:
            audit_record_item(
                item=item,
                seen=form.cleaned_data["seen"],
                photo=form.cleaned_data["photo"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except StockAuditError as exc:
            form.add_error(exc.field, exc.message)
        else:
            url = reverse("servicing:floorplan_audit", kwargs={"audit_id": audit_id})
            return redirect(f"{url}#item-{item.pk}")
    audit = get_object_or_404(StockAudit.objects.select_related("line__dealer"), pk=audit_id)
    return _audit_page(request, audit, forms={item.pk: form}, status=400)


@auditor_view
@require_POST
def audit_finish(request, audit_id: int):
    try:
        audit = audit_complete(audit=get_object_or_404(StockAudit, pk=audit_id), by=request.user)
    except StockAuditError as exc:
        messages.error(request, exc.message)
    else:
        if audit.sold_out_of_trust_count:
            messages.error(
                request,
                gettext("发现违规售车 %(n)s 台：额度已冻结，已通知渠道客户经理。")
                % {"n": audit.sold_out_of_trust_count},
            )
        else:
            messages.success(request, gettext("盘库完成，未发现违规售车。"))
    return _back(audit_id)


@auditor_view
def audit_item_photo(request, audit_id: int, item_id: int):
    item = get_object_or_404(StockAuditItem, pk=item_id, audit_id=audit_id)
    return upload_response(
        relative_path=item.photo_path,
        content_type=item.photo_content_type,
        allowed=bool(item.photo_path),
    )


def line_statement_csv_response(statement: dict, *, filename: str) -> HttpResponse:
    """A line statement as a CSV download (Excel reads the Chinese headers: UTF-8 with BOM);
    the dealer portal's statement page answers with it too."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    csv.writer(response).writerows(line_statement_csv_rows(statement))
    return response


@finance_view
def line_statement_csv(request, line_id: int):
    """Finance's copy of a dealer's line statement, from its first advance to today."""
    line = get_object_or_404(FloorplanLine, pk=line_id)
    statement = line_statement(line=line, start=None, end=business_date_current())
    return line_statement_csv_response(statement, filename=f"floorplan-line-{line.pk}.csv")
