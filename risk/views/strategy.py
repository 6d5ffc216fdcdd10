"""The strategy page: thresholds and tier cut-offs per product line, previewed on recent scores
before a change goes for review."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from autofin.approvals import ApprovalError, approval_request_pending_for
from risk.approvals import (
    STRATEGY_CHANGE,
    strategy_change_submit,
)
from risk.models import ProductLine, Strategy
from risk.services import (
    StrategyError,
    strategy_preview,
)
from risk.services.strategy import strategy_snapshot
from risk.views.access import risk_analyst_required


def _int(value, field: str, errors: dict):
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[field] = gettext("请输入整数分数")
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
                            request, gettext("已提交复核：新阈值将在另一位风险分析师批准后生效")
                        )
                    else:
                        messages.success(request, gettext("审批策略已保存"))
                    return redirect(f"{request.path}?product_line={line}")
            if decline is not None and approve is not None and decline > approve:
                errors["decline_below"] = gettext("拒绝分数线不能高于自动通过分数线")
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
            "outcomes": [
                ("approve", gettext("批准")),
                ("refer", gettext("转人工")),
                ("decline", gettext("拒绝")),
            ],
        },
    )
