"""The servicing agent's repayment actions from the loan page: post a bank transfer, the
checker's approval or rejection, a reversal's request and its decision (maker-checker)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from servicing.forms import loans as loan_forms
from servicing.models.loans import Loan
from servicing.models.repayments import Repayment, RepaymentReversal
from servicing.services.loans.account import LoanError
from servicing.services.repayments.manual import (
    repayment_manual_approve,
    repayment_manual_reject,
    repayment_manual_submit,
)
from servicing.services.repayments.reversal import (
    repayment_reversal_approve,
    repayment_reversal_reject,
    repayment_reversal_request,
)
from servicing.views.common import form_error, refused
from servicing.views.loans import agent_context, agent_required


@agent_required
@require_POST
@recent_auth_required
def loan_manual_repayment(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST):
        return refused()
    loan = get_object_or_404(Loan, pk=loan_id)

    def run(key: str):
        form = loan_forms.ManualRepaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                repayment = repayment_manual_submit(
                    loan_id=loan.pk,
                    amount=data["amount"],
                    evidence=data["evidence"],
                    evidence_ref=data["evidence_ref"],
                    payment_channel=data["payment_channel"],
                    payer_account=data["payer_account"],
                    actor=request.user,
                    idempotency_key=key,
                )
            except LoanError as exc:
                form_error(form, exc)
            else:
                if repayment.status == "pending_approval":
                    messages.info(request, _("当日人工入账合计达到复核限额，已提交复核。"))
                else:
                    messages.success(request, _("还款已入账。"))
                return redirect("servicing:loan_detail", loan_id=loan.pk)
        return render(
            request,
            "servicing/loan_detail.html",
            agent_context(request, loan, repayment_form=form),
            status=400,
        )

    return idempotent(request, run=run, form=True)


def _decision(request, *, action: MoneyAction, loan_id: int, decide, done: str):
    """A checker's decision from the loan page: permission, one form token, the service."""
    if not can_move_money(request.user, action):
        return refused()
    back = redirect("servicing:loan_detail", loan_id=loan_id)

    def run(key: str):  # noqa: ARG001 - a decision is idempotent by the object's state
        try:
            decide()
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, done)
        return back

    return idempotent(request, run=run, form=True)


@agent_required
@require_POST
@recent_auth_required
def repayment_approve(request, repayment_id: int):
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_MANUAL_APPROVE,
        loan_id=repayment.loan_id,
        decide=lambda: repayment_manual_approve(repayment_id=repayment.pk, actor=request.user),
        done=_("复核通过，还款已入账。"),
    )


@agent_required
@require_POST
def repayment_reject(request, repayment_id: int):
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_MANUAL_APPROVE,
        loan_id=repayment.loan_id,
        decide=lambda: repayment_manual_reject(
            repayment_id=repayment.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        done=_("已驳回，该笔还款不入账。"),
    )


@agent_required
@require_POST
@recent_auth_required
def repayment_reverse(request, repayment_id: int):
    """Ask for a reversal: another person approves it on the loan page."""
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    if not can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_REQUEST):
        return refused()
    back = redirect("servicing:loan_detail", loan_id=repayment.loan_id)

    def run(key: str):
        form = loan_forms.ReverseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写冲正原因。"))
            raise NothingDone(back)
        try:
            repayment_reversal_request(
                repayment_id=repayment.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=key,
            )
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, _("冲正申请已提交，等待另一位同事复核。"))
        return back

    return idempotent(request, run=run, form=True)


@agent_required
@require_POST
def reversal_approve(request, reversal_id: int):
    reversal = get_object_or_404(
        RepaymentReversal.objects.select_related("repayment"), pk=reversal_id
    )
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_REVERSE_APPROVE,
        loan_id=reversal.repayment.loan_id,
        decide=lambda: repayment_reversal_approve(reversal_id=reversal.pk, actor=request.user),
        done=_("冲正已复核通过，还款已冲正。"),
    )


@agent_required
@require_POST
def reversal_reject(request, reversal_id: int):
    reversal = get_object_or_404(
        RepaymentReversal.objects.select_related("repayment"), pk=reversal_id
    )
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_REVERSE_APPROVE,
        loan_id=reversal.repayment.loan_id,
        decide=lambda: repayment_reversal_reject(
            reversal_id=reversal.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        done=_("冲正申请已驳回，还款保持入账。"),
    )
