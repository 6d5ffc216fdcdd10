"""The care agents' complaint pages: the queue with SLA countdowns (breached first), phone
entry, the complaint page with its actions, and the monthly report (page and CSV). Thin: every
rule and authorisation lives in servicing.services.complaints."""

from __future__ import annotations

import csv
import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from servicing.forms.complaints import AgentComplaintForm, ExtendForm, TextForm
from servicing.models.customers import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
)
from servicing.models.loans import Loan
from servicing.selectors.complaints import complaint_queue, next_deadline
from servicing.services.complaints import ComplaintError
from servicing.services.complaints import workflow as wf
from servicing.services.complaints.report import complaint_report, complaint_report_csv_rows


def _staff_view(*roles):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not (request.user.is_superuser or user_has_role(request.user, *roles)):
                return HttpResponseForbidden(_("您没有处理投诉的权限。"))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


handler_view = _staff_view(*wf.HANDLERS)
# the trail and the collections review are open to compliance as well
reader_view = _staff_view(*wf.HANDLERS, Role.COMPLIANCE_OFFICER)
REPORT_ROLES = (Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER)
report_view = _staff_view(*REPORT_ROLES)


@handler_view
def complaint_list(request):
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    channel = request.GET.get("channel", "")
    qs = complaint_queue(
        status=status if status in ComplaintStatus.values else "",
        category=category if category in ComplaintCategory.values else "",
        channel=channel if channel in ComplaintChannel.values else "",
        mine_only_for=None if wf.is_supervisor(request.user) else request.user,
    )
    rows = [{"c": c, "due": next_deadline(c)} for c in qs[:200]]
    return render(
        request,
        "servicing/complaints/queue.html",
        {
            "rows": rows,
            "now": timezone.now(),
            "filters": {"status": status, "category": category, "channel": channel},
            "statuses": ComplaintStatus.choices,
            "categories": ComplaintCategory.choices,
            "channels": ComplaintChannel.choices,
            # an agent is not shown a link that answers them 403
            "can_report": request.user.is_superuser or user_has_role(request.user, *REPORT_ROLES),
        },
    )


@handler_view
def complaint_new(request):
    form = AgentComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = get_user_model().objects.filter(phone=data["customer_phone"].strip()).first()
        loan = None
        if customer is None or not user_has_role(customer, Role.CUSTOMER):
            form.add_error("customer_phone", _("未找到该手机号的客户。"))
        elif data["contract_ref"].strip():
            loan = Loan.objects.filter(
                contract_ref=data["contract_ref"].strip(), customer=customer
            ).first()
            if loan is None:
                form.add_error("contract_ref", _("该客户名下没有此合同。"))
        if form.is_valid():
            try:
                complaint = wf.complaint_create(
                    customer=customer,
                    channel=ComplaintChannel.PHONE,
                    category=data["category"],
                    priority=data["priority"],
                    summary=data["summary"],
                    detail=data["detail"],
                    loan=loan,
                    created_by=request.user,
                )
            except ComplaintError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("投诉已登记：%(ref)s") % {"ref": complaint.reference})
                return redirect("servicing:complaint_detail", complaint.pk)
    return render(request, "servicing/complaints/new.html", {"form": form})


@reader_view
def complaint_detail(request, complaint_id: int):
    complaint = (
        Complaint.objects.select_related("customer", "loan", "assigned_to")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        raise Http404
    agents = get_user_model().objects.filter(
        groups__name__in=[str(r) for r in wf.HANDLERS], is_active=True
    )
    return render(
        request,
        "servicing/complaints/detail.html",
        {
            "c": complaint,
            "due": next_deadline(complaint),
            "now": timezone.now(),
            "events": [(e, e.get_kind_display()) for e in complaint.events.select_related("actor")],
            "is_supervisor": wf.is_supervisor(request.user),
            "is_handler": wf.is_handler(request.user),
            "may_review": request.user.is_superuser or user_has_role(request.user, *wf.REVIEWERS),
            "agents": agents.distinct().order_by("username"),
            "extend_form": ExtendForm(),
            "text_form": TextForm(),
        },
    )


def _action(request, complaint_id: int, action: str) -> None:
    post, user = request.POST, request.user
    if action == "assign":
        assignee = get_user_model().objects.filter(pk=post.get("assignee") or 0).first()
        if assignee is None:
            raise ComplaintError(_("请选择经办人。"))
        wf.complaint_assign(complaint_id=complaint_id, actor=user, assignee=assignee)
    elif action == "acknowledge":
        wf.complaint_acknowledge(complaint_id=complaint_id, actor=user)
    elif action == "extend":
        form = ExtendForm(post)
        if not form.is_valid():
            raise ComplaintError(_("请选择延期天数并填写原因。"))
        wf.complaint_extend(
            complaint_id=complaint_id,
            actor=user,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    elif action == "resolve":
        wf.complaint_resolve(complaint_id=complaint_id, actor=user, resolution=post.get("text", ""))
    elif action == "review":
        wf.collections_review(complaint_id=complaint_id, actor=user, note=post.get("text", ""))
    else:
        raise Http404


@require_POST
@reader_view
def complaint_action(request, complaint_id: int, action: str):
    try:
        _action(request, complaint_id, action)
    except ComplaintError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存。"))
    return redirect("servicing:complaint_detail", complaint_id)


def _month(request) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


@report_view
def complaint_report_page(request):
    report = complaint_report(month=_month(request))
    return render(request, "servicing/complaints/report.html", {"r": report})


@report_view
def complaint_report_csv(request):
    report = complaint_report(month=_month(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="complaints-{report["month"]:%Y-%m}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 Chinese only with the BOM
    csv.writer(response).writerows(complaint_report_csv_rows(report))
    return response
