"""A lease's end-of-term actions on the servicing agent's loan page (eot): the termination
quote, the 留购价 billed with the last rent, a residual lease's car returned and remarketed, the
title transfer done. Each action is checked against MoneyAction.LEASE_END_OF_TERM here and in
the service; the remarketing proceeds post through the maker-checked manual receipt."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError
from autofin.money import format_cny
from autofin.roles import MoneyAction, can_move_money
from servicing.forms.lease_end import LeaseRemarketForm, LeaseReturnForm
from servicing.lease_approvals import lease_shortfall_absorb_submit
from servicing.models.lease_end import LeaseTitleTransfer
from servicing.models.loans import Loan
from servicing.services.leases.end_of_term import (
    lease_buyout_bill,
    lease_remarket_record,
    lease_return_record,
    title_transfer_done,
)
from servicing.services.leases.quote import lease_termination_quote
from servicing.services.leases.vat import is_lease
from servicing.services.loans.account import LoanError
from servicing.views.common import form_error, refused
from servicing.views.loans import agent_context, agent_required


def _lease_or_404(loan_id: int) -> Loan:
    loan = get_object_or_404(Loan.objects.select_related("customer"), pk=loan_id)
    if not is_lease(loan):
        raise LoanError(_("该合同不是融资租赁合同。"))
    return loan


def _page(request, loan: Loan, status: int = 400, **forms):
    context = agent_context(request, loan)
    context.update({f"lease_{k}_form": v for k, v in forms.items()})
    return render(request, "servicing/loan_detail.html", context, status=status)


@agent_required
@require_POST
def lease_quote(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    try:
        quote = lease_termination_quote(loan_id=_lease_or_404(loan_id).pk, actor=request.user)
    except LoanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("提前终止报价：%(t)s（含增值税 %(v)s），有效期至 %(d)s。")
            % {"t": format_cny(quote.record.total), "v": format_cny(quote.vat.tax),
               "d": quote.record.valid_until},
        )  # fmt: skip
    return redirect("servicing:loan_detail", loan_id=loan_id)


@agent_required
@require_POST
def lease_buyout(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    try:
        lease_buyout_bill(loan_id=_lease_or_404(loan_id).pk, actor=request.user)
    except LoanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("留购价已计入末期租金。"))
    return redirect("servicing:loan_detail", loan_id=loan_id)


@agent_required
@require_POST
def lease_return(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    loan = get_object_or_404(Loan, pk=loan_id)
    form = LeaseReturnForm(request.POST)
    if form.is_valid():
        try:
            lease_return_record(loan_id=loan.pk, actor=request.user, **form.cleaned_data)
        except LoanError as exc:  # RepaymentError included
            form_error(form, exc)
        else:
            messages.success(request, _("退车验车已登记。"))
            return redirect("servicing:loan_detail", loan_id=loan.pk)
    return _page(request, loan, **{"return": form})


@agent_required
@require_POST
def lease_remarket(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    loan = get_object_or_404(Loan, pk=loan_id)
    form = LeaseRemarketForm(request.POST)
    if form.is_valid():
        try:
            repayment = lease_remarket_record(
                loan_id=loan.pk, actor=request.user, **form.cleaned_data
            )
        except LoanError as exc:  # RepaymentError included
            form_error(form, exc)
        else:
            if repayment.status == "pending_approval":
                messages.success(request, _("处置价款已提交，等待另一位同事复核入账。"))
            else:
                messages.success(request, _("处置价款已入账。"))
            return redirect("servicing:loan_detail", loan_id=loan.pk)
    return _page(request, loan, remarket=form)


@agent_required
@require_POST
def lease_title_done(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    transfer = get_object_or_404(LeaseTitleTransfer, asset__loan_id=loan_id)
    try:
        title_transfer_done(transfer_id=transfer.pk, actor=request.user)
    except LoanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("过户已完成。"))
    return redirect("servicing:loan_detail", loan_id=loan_id)


@agent_required
@require_POST
def lease_absorb(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM):
        return refused()
    loan = get_object_or_404(Loan, pk=loan_id)
    try:
        submitted = lease_shortfall_absorb_submit(
            loan_id=loan.pk, actor=request.user, reason=request.POST.get("reason", "")
        )
    except LoanError as exc:
        messages.error(request, exc.message)
    except ApprovalError as exc:
        messages.error(request, exc.message)
    else:
        if submitted.pending:
            messages.success(request, _("已提交复核：另一位有权限的同事批准后核销残值差额。"))
        else:
            messages.success(request, _("残值差额已由出租人承担并核销。"))
    return redirect("servicing:loan_detail", loan_id=loan.pk)
