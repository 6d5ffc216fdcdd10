"""The operators' batch page (servicing:eod_dashboard): the business date, each step's progress
bar and chunk status, durations, failures with their error and a retry button, the history of
previous nights (HTMX polls the progress panel); and the vintage / roll-rate page."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.models import BusinessCalendar
from autofin.roles import Role, user_has_role
from servicing.eod import runner
from servicing.models.eod import BatchRun
from servicing.selectors import curves as curves_sel
from servicing.selectors import eod as eod_sel
from servicing.tasks.eod import batch_retry_dispatch, eod_batch_start

EOD_ROLES = (Role.OPERATIONS, Role.SYSTEM_ADMIN)


def operations_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_superuser or user_has_role(request.user, *EOD_ROLES)):
            return HttpResponseForbidden(_("仅运营人员可访问日结。"))
        return view(request, *args, **kwargs)

    return wrapper


def _refusal(date: dt.date) -> str:
    """Why the batch may not close `date` now ("" when it may): the runner's own rule."""
    try:
        runner.batch_date_check(date)
    except runner.EodError as exc:
        return str(exc)
    return ""


def _context(batch: BatchRun | None) -> dict:
    calendar = BusinessCalendar.objects.filter(pk=1).first()
    current = business_date_current()
    return {
        "business_date": current,
        "refusal": _refusal(current),
        "history": eod_sel.batch_history(),
        "closing": bool(calendar and calendar.closing),
        "batch": batch,
        "steps": eod_sel.batch_progress(batch),
        "pauses": eod_sel.batch_pauses(batch),
        "stale": eod_sel.stale_chunk_count(),
        "breaks": eod_sel.ledger_breaks(batch),
        "finance_task": eod_sel.finance_task(batch),
    }


@operations_required
def eod_dashboard(request):
    batch = eod_sel.batch_latest()
    ctx = _context(batch)
    ctx["follow_latest"] = True
    return render(request, "servicing/eod/dashboard.html", ctx)


@operations_required
def eod_batch_detail(request, batch_id: int):
    batch = get_object_or_404(BatchRun, pk=batch_id)
    ctx = _context(batch)
    return render(request, "servicing/eod/dashboard.html", ctx)


@operations_required
def eod_progress(request, batch_id: int | None = None):
    """The progress panel alone, for HTMX polling."""
    batch = get_object_or_404(BatchRun, pk=batch_id) if batch_id else eod_sel.batch_latest()
    # the footer's business date is outside the panel: refreshed with it, out of band
    return render(request, "servicing/eod/_progress.html", {**_context(batch), "oob": True})


@require_POST
@operations_required
def eod_retry(request, batch_id: int):
    batch = get_object_or_404(BatchRun, pk=batch_id)
    batch_retry_dispatch(batch_id=batch.pk, actor=request.user)
    messages.success(request, _("已重新提交失败的分片。"))
    return redirect("servicing:eod_dashboard")


@operations_required
def eod_confirm(request):
    """Before closing: the business date, the loans the batch goes through, or why not now."""
    current = business_date_current()
    ctx = {
        "business_date": current,
        "loan_count": eod_sel.loans_to_close_count(),
        "refusal": _refusal(current),
    }
    return render(request, "servicing/eod/confirm.html", ctx)


@require_POST
@operations_required
def eod_start(request):
    current = business_date_current()
    if request.POST.get("business_date") not in (None, current.isoformat()):
        messages.error(request, _("营业日已变化，请重新确认。"))
        return redirect("servicing:eod_dashboard")
    try:
        # opened here (refused here when the calendar has not finished the date), so the page
        # shows the batch running at once and offers no second start; the workers go on
        runner.batch_open(business_date=current, actor=request.user)
    except runner.EodError as exc:
        messages.error(request, str(exc))
        return redirect("servicing:eod_dashboard")
    eod_batch_start.delay(current.isoformat())
    messages.success(request, _("已启动日结：营业日 %(date)s。") % {"date": current.isoformat()})
    return redirect("servicing:eod_dashboard")


@operations_required
def eod_curves(request):
    dates = curves_sel.snapshot_dates()
    end = _date(request.GET.get("end")) or (dates[0] if dates else None)
    start = _date(request.GET.get("start")) or (
        next((d for d in dates if end and d <= end - dt.timedelta(days=30)), None)
        or (dates[-1] if dates else None)
    )
    ctx = {
        "vintage": curves_sel.vintage_curves(),
        "roll": curves_sel.roll_rates(start=start, end=end) if start and end else None,
        "dates": dates,
        "ltv": curves_sel.ltv_by_vintage(),
    }
    return render(request, "servicing/eod/curves.html", ctx)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
