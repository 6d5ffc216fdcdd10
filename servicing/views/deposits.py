"""Finance's dealer deposit page (保证金): each dealer's required / held / due, the open calls,
a deposit seen on the bank statement recorded, a refund prepared by a maker and released by a
checker who is not the maker. Thin: the services decide; every POST is a money action checked
as the services check it, and idempotent."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from servicing.forms.deposits import DepositReceiptForm, DepositRefundForm
from servicing.models.deposits import DepositRefund
from servicing.selectors import deposit_pages as pages
from servicing.selectors.deposits import deposit_subledger_differences
from servicing.services.deposits.receipts import DepositError, deposit_receipt_record
from servicing.services.deposits.refunds import deposit_refund_approve, deposit_refund_prepare
from servicing.views.disbursement import finance_view, money_action


def _page(request, *, receipt_form=None, refund_form=None, status=200):
    user = request.user
    return render(
        request,
        "servicing/deposits/deposit_list.html",
        {
            "positions": pages.deposit_positions(),
            "calls": pages.deposit_calls_open(),
            "refunds": pages.deposit_refunds_recent(),
            "differences": deposit_subledger_differences(),
            "token": uuid.uuid4().hex,
            "receipt_form": receipt_form or DepositReceiptForm(),
            "refund_form": refund_form or DepositRefundForm(),
            "can_receive": can_move_money(user, MoneyAction.DEPOSIT_RECEIPT_RECORD),
            "can_prepare": can_move_money(user, MoneyAction.DEPOSIT_REFUND_PREPARE),
            "can_approve": can_move_money(user, MoneyAction.DEPOSIT_REFUND_APPROVE),
        },
        status=status,
    )


@finance_view
def deposit_list(request):
    return _page(request)


def _back():
    return redirect("servicing:deposit_list")


def _refused(request, exc: DepositError):
    messages.error(request, exc.message)
    return NothingDone(_back())


@finance_view
@require_POST
@money_action(MoneyAction.DEPOSIT_RECEIPT_RECORD)
@recent_auth_required
def deposit_receipt(request):
    form = DepositReceiptForm(request.POST)
    if not form.is_valid():
        return _page(request, receipt_form=form, status=400)
    data = form.cleaned_data

    def run(key: str):  # noqa: ARG001 - once per bank reference, in the service
        try:
            deposit_receipt_record(
                dealer_id=data["dealer"].pk,
                amount=data["amount"],
                bank_ref=data["bank_ref"],
                actor=request.user,
            )
        except DepositError as exc:
            raise _refused(request, exc) from exc
        messages.success(request, gettext("保证金到账已登记。"))
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.DEPOSIT_REFUND_PREPARE)
@recent_auth_required
def deposit_refund(request):
    form = DepositRefundForm(request.POST)
    if not form.is_valid():
        return _page(request, refund_form=form, status=400)
    data = form.cleaned_data

    def run(key: str):  # noqa: ARG001 - the form's token makes a resubmission a replay
        try:
            deposit_refund_prepare(
                dealer_id=data["dealer"].pk,
                amount=data["amount"],
                reason=data["reason"],
                actor=request.user,
            )
        except DepositError as exc:
            raise _refused(request, exc) from exc
        messages.success(request, gettext("已提交复核。"))
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.DEPOSIT_REFUND_APPROVE)
@recent_auth_required
def deposit_refund_release(request, refund_id: int):
    get_object_or_404(DepositRefund, pk=refund_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, gettext("请先核对收款账户和金额，并勾选确认后再放行。"))
        return _back()

    def run(key: str):  # noqa: ARG001 - one release per refund, under its lock
        try:
            deposit_refund_approve(refund_id=refund_id, actor=request.user)
        except DepositError as exc:
            raise _refused(request, exc) from exc
        messages.success(request, gettext("已放行，退款已发送银行。"))
        return _back()

    return idempotent(request, run=run, form=True)
