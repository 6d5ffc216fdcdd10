"""Finance's repurchase page (回购): requests made by a maker, approved or rejected by a checker
who is not the maker, the dealer's payments recorded; the partner sub-ledgers reconciled with
the ledger; and the dealer portal's list of the dealer's own repurchases. Thin: the services
decide; every POST is a money action checked as the services check it, and idempotent."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from dealers.views.access import is_dealer_admin, portal_render, portal_view
from servicing.forms.repurchases import (
    DebtSetOffForm,
    RepurchaseReceiptForm,
    RepurchaseRequestForm,
)
from servicing.models.loans import Loan
from servicing.models.repurchases import Repurchase
from servicing.selectors.partner_ledgers import partner_ledgers_reconcile
from servicing.selectors.repurchases import repurchases_of_dealer, repurchases_recent
from servicing.services.commissions.departure import departing_dealer_debt_set_off
from servicing.services.deposits.receipts import DepositError
from servicing.services.loans.account import LoanError
from servicing.services.repurchases.collections import repurchase_receipt_record
from servicing.services.repurchases.requests import (
    repurchase_approve,
    repurchase_reject,
    repurchase_request,
)
from servicing.views.disbursement import finance_view, money_action


def _page(request, *, request_form=None, status=200):
    user = request.user
    return render(
        request,
        "servicing/repurchases/repurchase_list.html",
        {
            "repurchases": repurchases_recent(),
            "ledgers": partner_ledgers_reconcile(),
            "token": uuid.uuid4().hex,
            "request_form": request_form or RepurchaseRequestForm(),
            "receipt_form": RepurchaseReceiptForm(),
            "set_off_form": DebtSetOffForm(),
            "can_set_off": can_move_money(user, MoneyAction.COMMISSION_DEBT_SET_OFF),
            "can_request": can_move_money(user, MoneyAction.REPURCHASE_REQUEST),
            "can_approve": can_move_money(user, MoneyAction.REPURCHASE_APPROVE),
            "can_receive": can_move_money(user, MoneyAction.REPURCHASE_RECEIPT_RECORD),
        },
        status=status,
    )


@finance_view
def repurchase_list(request):
    return _page(request)


def _back():
    return redirect("servicing:repurchase_list")


def _refused(request, exc: LoanError):
    messages.error(request, exc.message)
    return NothingDone(_back())


@finance_view
@require_POST
@money_action(MoneyAction.REPURCHASE_REQUEST)
@recent_auth_required
def repurchase_create(request):
    form = RepurchaseRequestForm(request.POST)
    if not form.is_valid():
        return _page(request, request_form=form, status=400)
    data = form.cleaned_data
    loan_id = (
        Loan.objects.filter(contract_ref=data["contract_ref"].strip())
        .values_list("pk", flat=True)
        .first()
    )

    def run(key: str):  # noqa: ARG001 - one live request per loan, in the service
        if loan_id is None:
            messages.error(request, gettext("合同编号不存在。"))
            raise NothingDone(_back())
        try:
            repurchase_request(
                loan_id=loan_id,
                dealer_id=data["dealer"].pk,
                ground=data["ground"],
                settlement=data["settlement"],
                evidence=data["evidence"],
                actor=request.user,
            )
        except LoanError as exc:
            raise _refused(request, exc) from exc
        messages.success(request, gettext("回购申请已提交复核。"))
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.REPURCHASE_APPROVE)
@recent_auth_required
def repurchase_decide(request, repurchase_id: int):
    get_object_or_404(Repurchase, pk=repurchase_id)
    approve = request.POST.get("decision") == "approve"
    if approve and request.POST.get("confirm") != "1":
        messages.error(request, gettext("请先核对贷款和回购金额，并勾选确认后再复核。"))
        return _back()

    def run(key: str):  # noqa: ARG001 - one decision per request, under its lock
        try:
            if approve:
                repurchase_approve(repurchase_id=repurchase_id, actor=request.user)
            else:
                repurchase_reject(
                    repurchase_id=repurchase_id,
                    actor=request.user,
                    reason=request.POST.get("reason", ""),
                )
        except LoanError as exc:
            raise _refused(request, exc) from exc
        messages.success(
            request, gettext("已复核，贷款已按回购结清。") if approve else gettext("已驳回。")
        )
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.REPURCHASE_RECEIPT_RECORD)
@recent_auth_required
def repurchase_receipt(request, repurchase_id: int):
    get_object_or_404(Repurchase, pk=repurchase_id)
    form = RepurchaseReceiptForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写到账金额和银行流水号。"))
        return _back()
    data = form.cleaned_data

    def run(key: str):  # noqa: ARG001 - once per bank reference, in the service
        try:
            repurchase_receipt_record(
                repurchase_id=repurchase_id,
                amount=data["amount"],
                bank_ref=data["bank_ref"],
                actor=request.user,
            )
        except LoanError as exc:
            raise _refused(request, exc) from exc
        messages.success(request, gettext("回购款到账已登记。"))
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.COMMISSION_DEBT_SET_OFF)
@recent_auth_required
def departing_dealer_set_off(request):
    form = DebtSetOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请选择经销商。"))
        return _back()
    dealer_id = form.cleaned_data["dealer"].pk

    def run(key: str):  # noqa: ARG001 - the form's token makes a resubmission a replay
        try:
            amount, left = departing_dealer_debt_set_off(dealer_id=dealer_id, actor=request.user)
        except DepositError as exc:
            messages.error(request, exc.message)
            raise NothingDone(_back()) from exc
        messages.success(
            request,
            gettext("已用保证金抵扣返佣欠款 %(amount)s 元，尚欠 %(left)s 元待催收。")
            % {"amount": amount, "left": left},
        )
        return _back()

    return idempotent(request, run=run, form=True)


@portal_view
def dealer_repurchases(request):
    """The dealer's own repurchases (the dealer admin's: they are money the dealer owes)."""
    if not is_dealer_admin(request):
        raise PermissionDenied
    return portal_render(
        request,
        "servicing/repurchases/dealer_repurchases.html",
        {"repurchases": repurchases_of_dealer(dealer_id=request.dealer.pk)},
    )
