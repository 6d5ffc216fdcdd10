"""The compliance officer's pages (合规): the queue with its two tabs — watch-list screening hits
(risk's) and AML alerts on money received (servicing's) — a case page for each with the
explanation and the decision, and the report file of a confirmed alert. Thin: the rules live
in risk.services.screening_decide and servicing.services.aml.cases."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from risk.models import ScreeningHit
from risk.selectors.aml import customer_rating_current, screening_hit_explained, screening_hits
from risk.services import screening_hit_decide
from servicing.compliance_access import compliance_can_decide, compliance_can_read
from servicing.models.aml import AmlAlert, AmlAlertStatus
from servicing.selectors.aml import aml_alert_view, aml_alerts, aml_report_file
from servicing.services.aml.cases import aml_alert_decide, aml_alert_investigate

OPEN_ALERTS = (AmlAlertStatus.OPEN, AmlAlertStatus.INVESTIGATING)


def compliance_required(view):
    """Readers (compliance, the auditor) see; only a decider may POST or take a report file."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not compliance_can_read(request.user):
            return HttpResponseForbidden(_("仅合规专员和审计员可访问。"))
        return view(request, *args, **kwargs)

    return wrapper


def decider_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not compliance_can_decide(request.user):
            return HttpResponseForbidden(_("只有合规专员可以处理合规案件。"))
        return view(request, *args, **kwargs)

    return wrapper


def _refusal(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc) or _("没有权限。"))


@compliance_required
def compliance_queue(request):
    tab = "alerts" if request.GET.get("tab") == "alerts" else "hits"
    show_all = request.GET.get("all") == "1"
    hits = screening_hits()
    alerts = aml_alerts()
    open_hits = hits.filter(status=ScreeningHit.Status.OPEN)
    open_alerts = alerts.filter(status__in=OPEN_ALERTS)
    return render(
        request,
        "servicing/compliance/queue.html",
        {
            "tab": tab,
            "show_all": show_all,
            "hits": (hits if show_all else open_hits)[:200],
            "alerts": (alerts if show_all else open_alerts)[:200],
            "open_hits": open_hits.count(),
            "open_alerts": open_alerts.count(),
        },
    )


@compliance_required
def screening_hit_case(request, hit_id: int):
    hit = get_object_or_404(ScreeningHit.objects.select_related("entry", "decided_by"), pk=hit_id)
    can_decide = compliance_can_decide(request.user)
    if request.method == "POST" and not can_decide:
        return HttpResponseForbidden(_("只有合规专员可以处理合规案件。"))
    if request.method == "POST":
        try:
            screening_hit_decide(
                hit_id=hit.pk,
                actor=request.user,
                to_status=request.POST.get("to_status", ""),
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("已保存处理结论。"))
        return redirect("servicing:compliance_hit", hit_id=hit.pk)
    return render(
        request,
        "servicing/compliance/hit.html",
        {
            "hit": hit,
            "parts": screening_hit_explained(hit),
            "rating": customer_rating_current(subject_ref=hit.subject_ref),
            "can_decide": can_decide,
            "can_confirm": hit.status == ScreeningHit.Status.OPEN,
            "can_clear": hit.status != ScreeningHit.Status.CLEARED,
        },
    )


@compliance_required
def aml_alert_case(request, alert_id: int):
    alert = get_object_or_404(
        AmlAlert.objects.select_related("loan", "loan__customer"), pk=alert_id
    )
    context = aml_alert_view(alert)
    can_decide = compliance_can_decide(request.user)
    context.update(can_decide=can_decide, reportable=context["reportable"] and can_decide)
    return render(request, "servicing/compliance/alert.html", context)


@compliance_required
@decider_required
@require_POST
def aml_alert_action(request, alert_id: int):
    alert = get_object_or_404(AmlAlert, pk=alert_id)
    action = request.POST.get("action", "")
    try:
        if action == "investigate":
            aml_alert_investigate(alert_id=alert.pk, actor=request.user)
        else:
            aml_alert_decide(
                alert_id=alert.pk,
                actor=request.user,
                to_status=action,
                decision_text=request.POST.get("decision_text", ""),
            )
    except (ValidationError, PermissionDenied) as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("已保存。"))
    return redirect("servicing:compliance_alert", alert_id=alert.pk)


@compliance_required
@decider_required
def aml_alert_report(request, alert_id: int):
    alert = get_object_or_404(
        AmlAlert.objects.select_related("loan", "loan__customer"), pk=alert_id
    )
    if alert.status != AmlAlertStatus.CONFIRMED:
        messages.error(request, _("只有确认的预警才能生成报告文件。"))
        return redirect("servicing:compliance_alert", alert_id=alert.pk)
    name, content = aml_report_file(alert)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
