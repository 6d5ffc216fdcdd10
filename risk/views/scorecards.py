"""Scorecard pages: report, plots, monitoring, champion / challenger. Views orchestrate; the
services decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from autofin.money import to_decimal
from risk.approvals import (
    SCORECARD_PROMOTE,
    scorecard_promote_submit,
)
from risk.models import ScorecardPlot, ScorecardVersion
from risk.selectors.scorecards import scorecard_monitoring, scorecards_overview
from risk.services import (
    ScorecardServiceError,
    scorecard_challenger_set,
)
from risk.views.access import risk_analyst_required

ALERT_BADGE = {"ok": "ok", "watch": "warn", "act": "bad"}


@risk_analyst_required
def model_list(request):
    return render(request, "risk/model_list.html", {"scorecards": scorecards_overview()})


@risk_analyst_required
def model_detail(request, pk: int):
    version = get_object_or_404(ScorecardVersion.objects.select_related("scorecard"), pk=pk)
    report = version.report or {}
    monitoring = scorecard_monitoring(version)
    if monitoring.get("score"):
        monitoring["score"]["badge"] = ALERT_BADGE[monitoring["score"]["alert"]]
    for v in monitoring["variables"]:
        v["badge"] = ALERT_BADGE[v["alert"]]
    points = [
        {"name": v["name"], "coefficient": v["coefficient"], "bins": v["bins"]}
        for v in version.artefact.get("variables", [])
    ]
    return render(
        request,
        "risk/model_detail.html",
        {
            "version": version,
            "pending_promotion": approval_request_pending_for(
                action=SCORECARD_PROMOTE, target=version
            ),
            "scorecard": version.scorecard,
            "siblings": version.scorecard.versions.order_by("-version"),
            "report": report,
            "metrics": report.get("metrics", {}),
            "variables": report.get("variables", []),
            "bands": report.get("bands", {}).get("test", []),
            "points": points,
            "scaling": version.artefact.get("scaling", {}),
            "plot_kinds": list(version.plots.values_list("kind", flat=True).order_by("kind")),
            "monitoring": monitoring,
        },
    )


@risk_analyst_required
def model_plot(request, pk: int, kind: str):
    plot = get_object_or_404(ScorecardPlot, version_id=pk, kind=kind)
    response = HttpResponse(bytes(plot.png), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@risk_analyst_required
@require_POST
def model_promote(request, pk: int):
    version = get_object_or_404(ScorecardVersion, pk=pk)
    try:
        submitted = scorecard_promote_submit(
            version_id=version.pk, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ApprovalError as exc:
        messages.error(request, str(exc.message))
    else:
        if submitted.pending:
            messages.success(
                request,
                gettext("已提交复核：%(v)s 将在另一位风险分析师批准后设为冠军模型")
                % {"v": version},
            )
        else:
            messages.success(request, gettext("已将 %(v)s 设为冠军模型") % {"v": version})
    return redirect("risk:model_detail", pk=pk)


@risk_analyst_required
@require_POST
def model_challenger(request, pk: int):
    version = get_object_or_404(ScorecardVersion, pk=pk)
    try:
        share = to_decimal(request.POST.get("share_percent", "")) / 100
        scorecard_challenger_set(version_id=version.pk, share=share, actor=request.user)
    except (ValueError, ScorecardServiceError):
        messages.error(request, gettext("挑战者流量占比须为 0 到 100 之间的数字"))
    else:
        messages.success(request, gettext("挑战者流量已更新"))
    return redirect("risk:model_detail", pk=pk)
