"""The credit-reporting page (征信报送, servicing:credit_reporting): submissions by month with their
accepted / rejected counts and the month's feed as CSV; rejected records with the center's
reason and the correct-and-resubmit action (operations); disputes with their due dates, recorded
by an agent and answered by compliance. Who may do what is a model permission (autofin.roles);
the rules live in servicing.services.credit_reporting."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.money import quantize_fen, to_decimal
from servicing.models.credit_reporting import (
    CreditReportDispute,
    CreditReportRecord,
    CreditReportStatus,
    DisputeOutcome,
)
from servicing.selectors.credit_reporting import (
    disputes_list,
    month_feed_csv,
    rejected_records,
    submissions_by_month,
)
from servicing.services.credit_reporting.disputes import dispute_answer, dispute_open
from servicing.services.credit_reporting.submit import (
    CreditReportingRefused,
    record_correct,
    records_submit,
)

VIEW = "servicing.view_creditreportrecord"
CORRECT = "servicing.change_creditreportrecord"
DISPUTE_OPEN = "servicing.add_creditreportdispute"
DISPUTE_ANSWER = "servicing.change_creditreportdispute"


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _back():
    return redirect("servicing:credit_reporting")


@login_required
def credit_reporting(request):
    _require(request, VIEW)
    return render(
        request,
        "servicing/credit_reporting.html",
        {
            "months": submissions_by_month(),
            "rejected": rejected_records(),
            "disputes": disputes_list(today=business_date_current()),
            "can_correct": request.user.has_perm(CORRECT),
            "can_open": request.user.has_perm(DISPUTE_OPEN),
            "can_answer": request.user.has_perm(DISPUTE_ANSWER),
            "outcomes": DisputeOutcome.choices,
        },
    )


@login_required
def credit_reporting_csv(request, year: int, month: int):
    _require(request, VIEW)
    first = dt.date(year, month, 1)
    response = HttpResponse(month_feed_csv(first), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credit-report-{first:%Y-%m}.csv"'
    return response


@require_POST
@login_required
def credit_record_correct(request, record_id: int):
    _require(request, CORRECT)
    changes = {
        k: request.POST[k].strip() for k in ("name", "id_number") if request.POST.get(k, "").strip()
    }
    try:
        record_correct(record_id=record_id, actor=request.user, changes=changes)
        counts = records_submit()
    except (CreditReportingRefused, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
        return _back()
    messages.success(
        request,
        _("更正记录已重新报送：接收 %(a)s 条，退回 %(r)s 条。")
        % {"a": counts["accepted"], "r": counts["rejected"]},
    )
    return _back()


@require_POST
@login_required
def credit_dispute_open(request):
    _require(request, DISPUTE_OPEN)
    account = request.POST.get("account_id", "").strip()
    record = (
        CreditReportRecord.objects.filter(account_id=account, status=CreditReportStatus.ACCEPTED)
        .order_by("-report_date", "-id")
        .first()
    )
    if record is None:
        messages.error(request, _("该合同没有已报送的记录。"))
        return _back()
    try:
        dispute_open(
            record_id=record.pk, actor=request.user, description=request.POST.get("description", "")
        )
    except CreditReportingRefused as exc:
        messages.error(request, exc.message)
        return _back()
    messages.success(request, _("异议已受理，该账户的报送记录已冻结。"))
    return _back()


def _dispute_changes(post) -> dict:
    changes: dict = {}
    try:
        if post.get("overdue_periods", "").strip():
            changes["overdue_periods"] = int(post["overdue_periods"])
        if post.get("overdue_amount", "").strip():
            changes["overdue_amount"] = quantize_fen(to_decimal(post["overdue_amount"]))
    except (ValueError, ValidationError) as exc:
        raise CreditReportingRefused(_("逾期期数或金额格式不正确。")) from exc
    if post.get("status_char", "").strip():
        changes["status_char"] = post["status_char"].strip()
    return changes


@require_POST
@login_required
def credit_dispute_answer(request, dispute_id: int):
    _require(request, DISPUTE_ANSWER)
    get_object_or_404(CreditReportDispute, pk=dispute_id)
    try:
        dispute_answer(
            dispute_id=dispute_id,
            actor=request.user,
            outcome=request.POST.get("outcome", ""),
            answer=request.POST.get("answer", ""),
            changes=_dispute_changes(request.POST),
        )
        records_submit()
    except CreditReportingRefused as exc:
        messages.error(request, exc.message)
        return _back()
    messages.success(request, _("异议已答复。"))
    return _back()
