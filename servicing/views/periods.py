"""Month-end close for finance (/finance/periods/): the periods and their status, each period's
checklist with a tick or a cross and a link to where it is fixed, the close button (maker-
checked: submission and approval on this page), the trial balance and GL extract as CSV, and
the correction of a closed month posted in the next open period."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_approve, approval_request_pending_for
from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from servicing.forms.periods import PeriodAdjustmentForm
from servicing.ledger_names import account_name
from servicing.memos import memo_display
from servicing.models.ledger import SOURCE_TYPE_LABELS, AccountType, JournalEntry, SourceType
from servicing.models.periods import AccountingPeriod, PeriodStatus
from servicing.selectors.gl_mapping import gl_extract_lines
from servicing.selectors.periods import (
    month_end,
    period_checklist,
    periods_list,
    trial_balance_for,
)
from servicing.services.ledger.entries import LedgerError
from servicing.services.periods.adjustment import period_adjustment_post
from servicing.services.periods.approval import period_close_submit
from servicing.services.periods.close import PERIOD_CLOSE, PeriodError

VIEWERS = (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.AUDITOR, Role.SYSTEM_ADMIN)
# where each checklist item is put right
FIX_LINKS = {
    "batch_days": "servicing:eod_dashboard",
    "reconciliation": "servicing:eod_dashboard",
    "provisions": "servicing:provisions",
    "regulatory_reports": "servicing:regulatory_reports",
}


def period_viewer(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *VIEWERS):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def month_or_404(year: int, month: int) -> dt.date:
    try:
        return dt.date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc


def _back(month: dt.date):
    return redirect("servicing:period_detail", year=month.year, month=month.month)


@period_viewer
def period_list(request):
    """Opens on the month most likely to be closing: the last one that has ended."""
    rows = periods_list()
    return _back(rows[1].month if len(rows) > 1 else rows[0].month)


@period_viewer
def period_detail(request, year: int, month: int):
    first = month_or_404(year, month)
    period = AccountingPeriod.objects.filter(month=first).first()
    status = period.status if period else PeriodStatus.OPEN
    checklist = [
        {"item": item, "url": reverse(FIX_LINKS[item.code]) if item.code in FIX_LINKS else None}
        for item in period_checklist(first)
    ]
    ctx = {
        "rows": periods_list(),
        "month": first,
        "period": period,
        "status": status,
        "status_label": PeriodStatus(status).label,
        "checklist": checklist,
        "all_pass": all(c["item"].passed for c in checklist),
        "token": uuid.uuid4().hex,
        "adjustments": JournalEntry.objects.filter(
            source_type=SourceType.ADJUSTMENT, source_id=f"{first:%Y-%m}"
        ).order_by("business_date", "id"),
    }
    can_close = can_move_money(request.user, MoneyAction.PERIOD_CLOSE)
    pending = approval_request_pending_for(action=PERIOD_CLOSE, target=period) if period else None
    ctx["pending"] = pending
    ctx["can_approve"] = bool(pending and can_close and pending.maker_id != request.user.pk)
    ctx["can_submit"] = can_close and status != PeriodStatus.CLOSED and pending is None
    if status == PeriodStatus.CLOSED and can_move_money(request.user, MoneyAction.PERIOD_ADJUST):
        ctx["form"] = PeriodAdjustmentForm()
    return render(request, "servicing/periods.html", ctx)


@period_viewer
@require_POST
@recent_auth_required
def period_close_view(request, year: int, month: int):
    """Submit the close (four eyes on) or close at once (off); the checker approves here too."""
    first = month_or_404(year, month)
    if not can_move_money(request.user, MoneyAction.PERIOD_CLOSE):
        raise PermissionDenied

    def run(key: str):  # noqa: ARG001 - a period closes once (its status)
        try:
            period = AccountingPeriod.objects.filter(month=first).first()
            pending = (
                approval_request_pending_for(action=PERIOD_CLOSE, target=period) if period else None
            )
            if pending is not None:
                approval_request_approve(request_id=pending.pk, checker=request.user)
                messages.success(request, _("已复核，该期间已结账。"))
            elif period_close_submit(month=first, actor=request.user).pending:
                messages.success(request, _("已提交结账，等待另一位财务人员复核。"))
            else:
                messages.success(request, _("该期间已结账。"))
        except (ApprovalError, PeriodError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
            raise NothingDone(_back(first)) from exc
        return _back(first)

    return idempotent(request, run=run, form=True)


@period_viewer
@require_POST
@recent_auth_required
def period_adjust(request, year: int, month: int):
    """Post a correction to this closed month in the next open period."""
    first = month_or_404(year, month)
    if not can_move_money(request.user, MoneyAction.PERIOD_ADJUST):
        raise PermissionDenied
    form = PeriodAdjustmentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return _back(first)

    def run(key: str):
        data = form.cleaned_data
        try:
            entry = period_adjustment_post(
                month=first,
                debit_account=data["debit_account"],
                credit_account=data["credit_account"],
                amount=data["amount"],
                reason=data["reason"],
                idempotency_key=key,
                actor=request.user,
            )
        except (PeriodError, LedgerError) as exc:
            messages.error(request, str(exc))
            raise NothingDone(_back(first)) from exc
        messages.success(
            request,
            _("期后调整已记入 %(date)s（分录 #%(id)d）。")
            % {"date": f"{entry.business_date:%Y-%m-%d}", "id": entry.pk},
        )
        return _back(first)

    return idempotent(request, run=run, form=True)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # Excel reads the Chinese headers as UTF-8
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@period_viewer
def period_trial_balance_csv(request, year: int, month: int):
    first = month_or_404(year, month)
    tb = trial_balance_for(first)
    types = dict(AccountType.choices)

    def rows():
        yield [_("科目代码"), _("科目名称"), _("科目类别"), _("借方合计"), _("贷方合计"), _("余额")]
        for r in tb.rows:
            name = account_name(r.code, r.name)
            yield [r.code, name, types[r.account_type], r.debit, r.credit, r.balance]
        yield ["", _("合计"), "", tb.debit, tb.credit, tb.total]

    return csv_response(rows(), f"trial-balance-{first:%Y-%m}.csv")


@period_viewer
def period_gl_csv(request, year: int, month: int):
    first = month_or_404(year, month)
    header = [
        _("营业日"),
        _("分录号"),
        _("来源单据类型"),
        _("来源单据号"),
        _("科目代码"),
        _("科目名称"),
        _("借贷方向"),
        _("金额"),
        _("贷款账户"),
        _("经销商"),
        _("摘要"),
        _("总账科目代码"),
        _("总账科目名称"),
    ]

    def rows():
        yield header
        for line in gl_extract_lines(first, month_end(first)):
            day, entry, stype, sid, code, name, side, amount, loan, dealer, memo, gl, gl_name = line
            yield [
                day,
                entry,
                SOURCE_TYPE_LABELS.get(stype, stype),
                sid,
                code,
                account_name(code, name),
                _("借") if side == "D" else _("贷"),
                amount,
                loan or "",
                dealer or "",
                memo_display(memo),
                gl,
                account_name(gl, gl_name),
            ]

    return csv_response(rows(), f"gl-{first:%Y-%m}.csv")
