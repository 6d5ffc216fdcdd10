"""Finance pages: the disbursement list and detail (prepare / approve / retry), the funding
board and the reconciliation runs (the payee register's pages are origination's). Thin: the
services decide."""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from origination.selectors.bank_cards import customer_card_check
from servicing.forms.disbursement import ReconciliationForm
from servicing.models.disbursement import (
    Disbursement,
    PaymentInstruction,
    ReconciliationRun,
)
from servicing.selectors import disbursement as sel

# the pages share their names with the services they call: the services go by module
from servicing.services.disbursement import approve as approve_svc
from servicing.services.disbursement import create as create_svc
from servicing.services.disbursement import reveal as reveal_svc
from servicing.services.disbursement.states import DisbursementError
from servicing.services.reconciliation import reconciliation_run

FINANCE = (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER)


def finance_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *FINANCE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def money_action(action: MoneyAction):
    """The money check pages and API share (autofin.roles.can_move_money), on a finance page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not can_move_money(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _error(request, exc) -> None:
    messages.error(request, getattr(exc, "message", str(exc)))


# --- disbursements ------------------------------------------------------------------------------


@finance_view
def disbursement_list(request):
    ctx = sel.disbursement_board()
    ctx["token"] = uuid.uuid4().hex
    return render(request, "servicing/disbursement/list.html", ctx)


@finance_view
@require_POST
@money_action(MoneyAction.DISBURSEMENT_PREPARE)
@recent_auth_required
def disbursement_prepare(request):
    back = redirect("servicing:disbursement_list")

    def run(key: str):  # noqa: ARG001 - one disbursement per contract (the service's key)
        try:
            contract_id = int(request.POST.get("contract_id", ""))
            d = create_svc.disbursement_prepare(contract_id=contract_id, actor=request.user)
        except ValueError as exc:
            messages.error(request, gettext("合同编号无效。"))
            raise NothingDone(back) from exc
        except DisbursementError as exc:
            _error(request, exc)
            raise NothingDone(back) from exc
        messages.success(request, gettext("放款已提交复核：%(ref)s") % {"ref": d.contract_ref})
        return redirect("servicing:disbursement_detail", disbursement_id=d.pk)

    return idempotent(request, run=run, form=True)


@finance_view
def funding_board(request):
    """待放款: every signed contract not yet funded, what blocks it and where to fix it."""
    return render(
        request,
        "servicing/disbursement/funding_board.html",
        {"rows": sel.funding_board(), "token": uuid.uuid4().hex},
    )


@finance_view
def disbursement_detail(request, disbursement_id: int, revealed: dict | None = None):
    d = get_object_or_404(Disbursement, pk=disbursement_id)
    ctx = sel.disbursement_detail(d)
    for i in ctx["instructions"]:  # before release: the account release will pay (masked)
        i.preview = None if i.attempt_list else reveal_svc.instruction_account_preview(i)
        i.revealed = (revealed or {}).get(i.pk)
    if any(i.payee_kind == "customer" for i in ctx["instructions"]):
        # 售后回租: the customer's own card and its four-element check, for the checker to see
        ctx["bank_card"] = customer_card_check(d.application_id) or {}
    user = request.user
    ctx["token"] = uuid.uuid4().hex
    ctx["can_approve"] = (
        d.status in ("prepared", "awaiting_second")
        and can_move_money(user, MoneyAction.DISBURSEMENT_APPROVE)
        and user.pk not in (d.prepared_by_id, d.approved_by_id)
    )
    return render(request, "servicing/disbursement/detail.html", ctx)


@finance_view
@require_POST
@money_action(MoneyAction.DISBURSEMENT_APPROVE)
@recent_auth_required
def disbursement_approve(request, disbursement_id: int):
    back = redirect("servicing:disbursement_detail", disbursement_id=disbursement_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, gettext("请先逐条核对收款方、账号和金额，并勾选确认后再放行。"))
        return back

    def run(key: str):  # noqa: ARG001 - an approval is idempotent by the disbursement's state
        try:
            d = approve_svc.disbursement_approve(
                disbursement_id=disbursement_id, actor=request.user
            )
        except DisbursementError as exc:
            _error(request, exc)
            raise NothingDone(back) from exc
        if d.status == "awaiting_second":
            messages.success(request, gettext("已复核，金额超过限额，等待第二位复核人。"))
        else:
            messages.success(request, gettext("已放行，付款指令已发送银行。"))
        return back

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.DISBURSEMENT_RETRY)
@recent_auth_required
def instruction_retry(request, instruction_id: int):
    instruction = get_object_or_404(PaymentInstruction, pk=instruction_id)
    back = redirect("servicing:disbursement_detail", disbursement_id=instruction.disbursement_id)

    def run(key: str):  # noqa: ARG001 - only a FAILED instruction is retried, under its lock
        try:
            attempt = approve_svc.instruction_retry(
                instruction_id=instruction_id, actor=request.user
            )
        except DisbursementError as exc:
            _error(request, exc)
            raise NothingDone(back) from exc
        messages.success(
            request, gettext("已重新发起付款（第 %(n)d 次）。") % {"n": attempt.attempt_no}
        )
        return back

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
def instruction_reveal(request, instruction_id: int):
    """The full account number of one instruction, on request, audited (htmx: the cell)."""
    instruction = get_object_or_404(PaymentInstruction, pk=instruction_id)
    try:
        account = reveal_svc.instruction_account_reveal(
            instruction_id=instruction.pk, actor=request.user
        )
    except DisbursementError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        _error(request, exc)
        return redirect("servicing:disbursement_detail", instruction.disbursement_id)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "servicing/disbursement/_account_revealed.html",
            {"i": instruction, "number": account["account_number"]},
        )
    return disbursement_detail(
        request,
        disbursement_id=instruction.disbursement_id,
        revealed={instruction.pk: account["account_number"]},
    )


# --- reconciliation ------------------------------------------------------------------------------


@finance_view
def reconciliation_list(request):
    form = ReconciliationForm(
        request.POST or None, initial={"statement_date": business_date_current()}
    )
    if request.method == "POST" and form.is_valid():
        run = reconciliation_run(
            statement_date=form.cleaned_data["statement_date"], actor=request.user
        )
        messages.success(request, gettext("对账完成：差异 %(n)d 笔。") % {"n": run.mismatches})
        return redirect("servicing:reconciliation_detail", run_id=run.pk)
    runs = ReconciliationRun.objects.all()[:50]
    return render(
        request, "servicing/disbursement/reconciliation_list.html", {"form": form, "runs": runs}
    )


@finance_view
def reconciliation_detail(request, run_id: int):
    run = get_object_or_404(ReconciliationRun, pk=run_id)
    return render(
        request,
        "servicing/disbursement/reconciliation_detail.html",
        {"run": run, "lines": run.lines.select_related("attempt__instruction")},
    )
