"""Risk analyst pages: scorecards (report, plots, monitoring, champion / challenger) and the
strategy thresholds with a preview. Views orchestrate; the services decide."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from autofin.money import to_decimal
from autofin.roles import Role, user_has_role
from risk.approvals import (
    SCORECARD_PROMOTE,
    STRATEGY_CHANGE,
    scorecard_promote_submit,
    strategy_change_submit,
)
from risk.models import ProductLine, ScorecardPlot, ScorecardVersion, Strategy
from risk.selectors import scorecard_monitoring, scorecards_overview
from risk.services import (
    ScorecardServiceError,
    StrategyError,
    scorecard_challenger_set,
    strategy_preview,
)
from risk.services.strategy import strategy_snapshot

ALERT_BADGE = {"ok": "ok", "watch": "warn", "act": "bad"}


def risk_analyst_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_has_role(request.user, Role.RISK_ANALYST):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


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
                _t("已提交复核：%(v)s 将在另一位风险分析师批准后设为冠军模型") % {"v": version},
            )
        else:
            messages.success(request, _t("已将 %(v)s 设为冠军模型") % {"v": version})
    return redirect("risk:model_detail", pk=pk)


@risk_analyst_required
@require_POST
def model_challenger(request, pk: int):
    version = get_object_or_404(ScorecardVersion, pk=pk)
    try:
        share = to_decimal(request.POST.get("share_percent", "")) / 100
        scorecard_challenger_set(version_id=version.pk, share=share, actor=request.user)
    except (ValueError, ScorecardServiceError):
        messages.error(request, _t("挑战者流量占比须为 0 到 100 之间的数字"))
    else:
        messages.success(request, _t("挑战者流量已更新"))
    return redirect("risk:model_detail", pk=pk)


def _int(value, field: str, errors: dict):
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[field] = _t("请输入整数分数")
        return None


@risk_analyst_required
def strategy(request):
    line = request.POST.get("product_line") or request.GET.get("product_line") or "new"
    if line not in ProductLine.values:
        line = "new"
    current = strategy_snapshot(line)
    data = request.POST if request.method == "POST" else request.GET
    errors: dict = {}
    preview = None
    proposed = dict(current)
    if "approve_above" in data:
        approve = _int(data.get("approve_above"), "approve_above", errors)
        decline = _int(data.get("decline_below"), "decline_below", errors)
        cuts = {t: _int(data.get(f"tier_{t}"), f"tier_{t}", errors) for t in ("A", "B", "C")}
        proposed = {"approve_above": approve, "decline_below": decline, "tier_cutoffs": cuts}
        if not errors:
            if request.method == "POST" and data.get("action") != "preview":
                try:
                    submitted = strategy_change_submit(
                        product_line=line,
                        approve_above=approve,
                        decline_below=decline,
                        tier_cutoffs=cuts,
                        actor=request.user,
                    )
                except StrategyError as exc:
                    errors[exc.field] = exc.message
                except ApprovalError as exc:
                    messages.error(request, str(exc.message))
                    return redirect(f"{request.path}?product_line={line}")
                else:
                    if submitted.pending:
                        messages.success(
                            request, _t("已提交复核：新阈值将在另一位风险分析师批准后生效")
                        )
                    else:
                        messages.success(request, _t("审批策略已保存"))
                    return redirect(f"{request.path}?product_line={line}")
            if decline is not None and approve is not None and decline > approve:
                errors["decline_below"] = _t("拒绝分数线不能高于自动通过分数线")
            if not errors:
                preview = strategy_preview(
                    product_line=line, approve_above=approve, decline_below=decline
                )
    row = Strategy.objects.filter(product_line=line).first()
    return render(
        request,
        "risk/strategy.html",
        {
            "pending_change": (
                approval_request_pending_for(action=STRATEGY_CHANGE, target=row) if row else None
            ),
            "product_lines": ProductLine.choices,
            "line": line,
            "current": current,
            "proposed": proposed,
            "errors": errors,
            "preview": preview,
            "outcomes": [("approve", _t("批准")), ("refer", _t("转人工")), ("decline", _t("拒绝"))],
        },
    )
