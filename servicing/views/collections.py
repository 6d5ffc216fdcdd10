"""The collector's pages: the queue (servicing:collections_queue) by bucket strategy, ordered by
the likelihood to pay, and the case page with the call script, contact history, promise to pay,
notes and outcomes. Thin: the conduct rules live in servicing.services.collections."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.money import format_cny
from autofin.roles import Role, user_has_role
from servicing.models.collateral_checks import LoanExternalFacts
from servicing.models.collections import (
    CollectionCase,
    CollectionQueue,
    ContactAttempt,
    ContactOutcome,
    ContactParty,
)
from servicing.selectors import collections as collections_sel
from servicing.selectors.ledger import loan_balances
from servicing.services.collateral_checks.phone import phone_status_fresh
from servicing.services.collections import (
    CollectionsError,
    case_note_add,
    contact_attempt_record,
    promise_to_pay_create,
)
from servicing.services.complaints.pause import PAUSED_MESSAGE, collections_paused

# lazy: a module-level gettext would fix the language at import, not the collector's
SCRIPTS = {
    CollectionQueue.SOFT: gettext_lazy(
        "您好，请问是{name}本人吗？我是 AutoFin 的客服。您的车贷合同 {ref} 本期还款尚未到账，"
        "应还 {amount}。请问您方便今天还款吗？可通过 App 在线支付。"
    ),
    CollectionQueue.CALL: gettext_lazy(
        "您好，请问是{name}本人吗？我是 AutoFin 贷后管理部。您的合同 {ref} 已逾期 {dpd} 天，"
        "逾期金额 {amount}，罚息每日在增加。请问您何时能够还款？我们可以为您登记还款承诺。"
    ),
    CollectionQueue.FIELD_LEGAL: gettext_lazy(
        "（外访/法务）核实借款人{name}与车辆情况；告知合同 {ref} 已逾期 {dpd} 天、"
        "欠款 {amount} 及可能的法律后果；记录还款计划。"
    ),
}


def collector_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_superuser or user_has_role(request.user, Role.COLLECTOR)):
            return HttpResponseForbidden(_("仅催收员可访问。"))
        return view(request, *args, **kwargs)

    return wrapper


@collector_required
def collections_queue(request):
    queue = request.GET.get("queue") or None
    if queue not in CollectionQueue.values:
        queue = None
    cases = collections_sel.collections_queue(user=request.user, queue=queue)[:200]
    counts = collections_sel.queue_counts(user=request.user)
    return render(
        request,
        "servicing/collections/queue.html",
        {
            "cases": cases,
            "queue": queue,
            "queues": [(code, label, counts[code]) for code, label in CollectionQueue.choices],
            "total": counts["all"],
        },
    )


def _case(request, case_id: int) -> CollectionCase:
    case = get_object_or_404(
        CollectionCase.objects.select_related("loan", "loan__customer"), pk=case_id
    )
    # as the services decide (_case_for): the collector's own cases and those not yet assigned
    if not request.user.is_superuser and case.assigned_to_id not in (None, request.user.pk):
        raise PermissionError
    return case


@collector_required
def collections_case(request, case_id: int):
    try:
        case = _case(request, case_id)
    except PermissionError:
        return HttpResponseForbidden(_("该案件未分配给您。"))
    # the collector is about to call: the phone's status, checked afresh when stale
    phone_status_fresh(loan_id=case.loan_id, business_date=business_date_current())
    customer = case.loan.customer
    script = str(SCRIPTS[case.queue]).format(
        name=customer.display_name or customer.username,
        ref=case.loan.contract_ref,
        dpd=case.dpd,
        amount=format_cny(case.amount_overdue),
    )
    return render(
        request,
        "servicing/collections/case.html",
        {
            "case": case,
            "loan": case.loan,
            # a collections complaint awaiting review: contact is refused, say so before the call
            "paused_message": PAUSED_MESSAGE if collections_paused(case.loan_id) else "",
            "script": script,
            "attempts": collections_sel.case_history(case)[:100],
            "promises": case.promises.order_by("-id"),
            "notes": case.notes.select_related("author")[:50],
            "balances": loan_balances(loan_id=case.loan_id),
            "external": LoanExternalFacts.objects.filter(loan_id=case.loan_id).first(),
            "parties": ContactParty.choices,
            "channels": ContactAttempt.Channel.choices,
            "outcomes": ContactOutcome.choices,
            "errors": request.session.pop("case_errors", None),
        },
    )


def _handle(request, case_id: int, fn, ok_message: str):
    try:
        fn()
        messages.success(request, ok_message)
    except CollectionsError as exc:
        messages.error(request, exc.message)
    return redirect("servicing:collections_case", case_id=case_id)


@require_POST
@collector_required
def collections_contact(request, case_id: int):
    return _handle(
        request,
        case_id,
        lambda: contact_attempt_record(
            case_id=case_id,
            collector=request.user,
            party=request.POST.get("party", ""),
            channel=request.POST.get("channel", ""),
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        ),
        _("已记录联系结果。"),
    )


@require_POST
@collector_required
def collections_promise(request, case_id: int):
    def create():
        try:
            day = dt.date.fromisoformat(request.POST.get("promised_date", ""))
        except ValueError:
            raise CollectionsError(_("请填写承诺还款日。"), field="promised_date") from None
        promise_to_pay_create(
            case_id=case_id,
            collector=request.user,
            promised_date=day,
            amount=request.POST.get("amount", ""),
        )

    return _handle(request, case_id, create, _("已登记还款承诺。"))


@require_POST
@collector_required
def collections_note(request, case_id: int):
    return _handle(
        request,
        case_id,
        lambda: case_note_add(
            case_id=case_id, collector=request.user, body=request.POST.get("body", "")
        ),
        _("已添加备注。"),
    )
