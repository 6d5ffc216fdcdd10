"""The provision page for finance and risk (servicing:provisions): a month's expected credit
loss — stage totals, the stage migration matrix (table and bar chart), the allowance
roll-forward, NPL, coverage and provision ratios with their floor alerts, coverage by product,
the general reserve and the PDs used — and the buttons to compute the month and to post it
(maker-checked: the submission and its approval are on this page)."""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_approve, approval_request_pending_for
from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from origination.models.products import VehicleKind
from servicing.models.eod import BatchRun, RunStatus
from servicing.models.provisions import ProvisionRun, ProvisionStatus
from servicing.selectors.provisions import provision_report, provision_runs
from servicing.services.provisions.approval import provision_post_submit
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.parameters import ProvisionError
from servicing.services.provisions.post import PROVISION_POST

VIEWERS = (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.RISK_ANALYST, Role.AUDITOR)


def provision_viewer(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *VIEWERS, Role.SYSTEM_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def provision_poster(view):
    """Computing and posting the allowance is the money action `provision_post` (finance)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_move_money(request.user, MoneyAction.PROVISION_POST):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _label(report: dict) -> dict:
    """The people's names of the report's codes (stages, product lines, PD sources)."""
    lines = {**dict(VehicleKind.choices), "-": _("其他")}
    stages = {1: _("阶段一"), 2: _("阶段二"), 3: _("阶段三")}
    for row in report["matrix"]["rows"]:
        row["label"] = stages.get(row["from"], _("新增贷款"))
        for cell in row["cells"]:
            cell["label"] = stages.get(cell["to"], _("终止确认"))
    report["matrix"]["headers"] = [
        stages.get(c, _("终止确认")) for c in report["matrix"]["columns"]
    ]
    for row in report["stages"]:
        row["label"] = stages[row["stage"]]
    for row in report["by_product"]:
        row["label"] = lines.get(row["product_line"], row["product_line"])
    for pd in report["pds"]:
        pd.line_label = lines.get(pd.product_line, pd.product_line)
        pd.tier_label = _("未知") if pd.tier == "-" else pd.tier
        pd.stage_label = stages[pd.stage]
    return report


@provision_viewer
def provisions(request, run_id: int | None = None):
    runs = provision_runs()
    run = get_object_or_404(ProvisionRun, pk=run_id) if run_id else (runs[0] if runs else None)
    ctx = {"runs": runs, "run": run, "token": uuid.uuid4().hex}
    ctx["can_act"] = can_move_money(request.user, MoneyAction.PROVISION_POST)
    if run is not None:
        ctx["report"] = _label(provision_report(run))
        pending = approval_request_pending_for(action=PROVISION_POST, target=run)
        ctx["pending"] = pending
        ctx["can_approve"] = bool(
            pending and ctx["can_act"] and pending.maker_id != request.user.pk
        )
        ctx["can_post"] = (
            ctx["can_act"] and run.status == ProvisionStatus.COMPUTED and pending is None
        )
    return render(request, "servicing/provisions.html", ctx)


@provision_viewer
@require_POST
@provision_poster
@recent_auth_required
def provisions_compute(request):
    """Compute the month of the last closed business date (the book as that night left it)."""
    back = redirect("servicing:provisions")

    def run(key: str):  # noqa: ARG001 - one run per month; a posted month is left as it is
        closed = (
            BatchRun.objects.filter(status=RunStatus.SUCCEEDED)
            .order_by("-business_date")
            .values_list("business_date", flat=True)
            .first()
        )
        if closed is None:
            messages.error(request, _("尚无已完成的日结，无法计算减值准备。"))
            raise NothingDone(back)
        try:
            done = provision_run_compute(as_of=closed, actor=request.user)
        except ProvisionError as exc:
            messages.error(request, str(exc))
            raise NothingDone(back) from exc
        if done.status == ProvisionStatus.POSTED:
            messages.info(request, _("本月减值准备已过账，未重新计算。"))
        else:
            messages.success(
                request, _("已计算 %(month)s 的减值准备。") % {"month": f"{done.month:%Y-%m}"}
            )
        return redirect("servicing:provisions_run", run_id=done.pk)

    return idempotent(request, run=run, form=True)


@provision_viewer
@require_POST
@provision_poster
@recent_auth_required
def provisions_post(request, run_id: int):
    """Submit the posting (four eyes on) or post at once (off); the checker approves here too."""
    run_obj = get_object_or_404(ProvisionRun, pk=run_id)
    back = redirect("servicing:provisions_run", run_id=run_obj.pk)

    def run(key: str):  # noqa: ARG001 - a run posts once (its status, the entry's key)
        try:
            pending = approval_request_pending_for(action=PROVISION_POST, target=run_obj)
            if pending is not None:
                approval_request_approve(request_id=pending.pk, checker=request.user)
                messages.success(request, _("已复核，减值准备已过账。"))
            elif provision_post_submit(run_id=run_obj.pk, actor=request.user).pending:
                messages.success(request, _("已提交过账，等待另一位财务人员复核。"))
            else:
                messages.success(request, _("减值准备已过账。"))
        except (ApprovalError, ProvisionError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
            raise NothingDone(back) from exc
        return back

    return idempotent(request, run=run, form=True)
