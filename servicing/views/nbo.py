"""The next-best-offer model page (/marketing/nbo/): the active version's held-out AUC and lift
chart, retraining on Celery with its progress, and the previous versions. Marketing and risk
analysts (who validate models) only."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from servicing.models.nbo import NboModel, NboStatus
from servicing.services.nbo.scoring import nbo_active
from servicing.services.nbo.training import nbo_training_pending, nbo_training_request
from servicing.tasks.nbo import nbo_train_run

NBO_ROLES = (Role.MARKETING, Role.RISK_ANALYST)

# the SVG's drawing area (viewBox units); bars are scaled to the highest lift or 2, whichever
# is larger, so a weak model still reads as weak next to the baseline
_W, _H, _LEFT, _BOTTOM, _TOP = 420, 240, 34, 28, 22


def nbo_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *NBO_ROLES):
            return HttpResponseForbidden(_("仅营销专员与风险分析师可访问下一最佳邀约模型。"))
        return view(request, *args, **kwargs)

    return wrapper


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def lift_chart(table: list[dict]) -> dict | None:
    """Bar geometry per decile and the baseline's height (lift 1 = the overall rate)."""
    if not table:
        return None
    top = max(2.0, *(row["lift"] for row in table))
    plot_h = _H - _BOTTOM - _TOP
    slot = (_W - _LEFT) / len(table)

    def y(value: float) -> float:
        return round(_TOP + plot_h * (1 - value / top), 1)

    bars = []
    for i, row in enumerate(table):
        bars.append(
            {
                **row,
                "x": round(_LEFT + i * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": y(row["lift"]),
                "height": round(_TOP + plot_h - y(row["lift"]), 1),
                "label_x": round(_LEFT + i * slot + slot / 2, 1),
                "value_y": round(y(row["lift"]) - 5, 1),
                "lift_label": f"{row['lift']:.2f}",
                "response_pct": _pct(row["response_rate"]),
                "funded_pct": _pct(row["funded_rate"]),
                "above": row["lift"] >= 1,
            }
        )
    ticks = [{"value": v, "y": y(v)} for v in range(int(top) + 1)]
    return {
        "width": _W,
        "height": _H,
        "left": _LEFT,
        "tick_x": _LEFT - 6,
        "axis_y": _TOP + plot_h,
        "baseline_y": y(1.0),
        "label_y": _H - 8,
        "bars": bars,
        "ticks": ticks,
    }


def _context(shown: NboModel | None) -> dict:
    active = nbo_active()
    failed = NboModel.objects.filter(status=NboStatus.FAILED).defer("pipeline").first()
    pending = nbo_training_pending()
    return {
        "model": shown,
        "active": active,
        "pending": pending,
        "failed_latest": failed
        if failed and (not active or failed.version > active.version)
        else None,
        "chart": lift_chart(shown.metrics.get("lift_table", [])) if shown else None,
        "rates": (
            {
                "response": _pct(shown.metrics["response_rate"]),
                "funded": _pct(shown.metrics["funded_rate"]),
            }
            if shown
            else None
        ),
        "versions": NboModel.objects.defer("pipeline").select_related("requested_by")[:20],
    }


@nbo_required
def nbo_model(request):
    return render(request, "servicing/nbo/model.html", _context(nbo_active()))


@nbo_required
def nbo_model_version(request, version: int):
    shown = get_object_or_404(
        NboModel.objects.defer("pipeline"), version=version, status=NboStatus.SUCCEEDED
    )
    return render(request, "servicing/nbo/model.html", _context(shown))


@nbo_required
def nbo_status(request):
    """The training panel alone, polled while a run is queued or running; once the polled run
    has finished, the whole page reloads to show its chart."""
    ctx = _context(None)
    response = render(request, "servicing/nbo/_status.html", ctx)
    polled = request.GET.get("run", "")
    if polled.isdigit() and (ctx["pending"] is None or ctx["pending"].pk != int(polled)):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@nbo_required
def nbo_retrain(request):
    if nbo_training_pending() is not None:
        messages.error(request, _("已有训练在进行中，请稍候。"))
        return redirect("servicing:nbo_model")
    run = nbo_training_request(user=request.user)
    transaction.on_commit(lambda: nbo_train_run.delay(run.pk))
    messages.success(request, _("已提交训练：版本 %(v)s。") % {"v": run.version})
    return redirect("servicing:nbo_model")
