"""Finance pages of dealer commission payouts: the list (held for an invoice, to prepare, to
release, failed; then history) and one payout, where the maker records the dealer's invoice and
prepares, and the checker sees the account and the amount before releasing. Thin: the services
decide; every POST is a money action checked as the services check it, and idempotent."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from servicing.forms.disbursement import PayoutInvoiceForm
from servicing.models.commission_payouts import CommissionPayout, PayoutStatus
from servicing.selectors import commissions as sel
from servicing.services.commissions import payouts as payouts_svc
from servicing.services.commissions import release as release_svc
from servicing.services.commissions.payouts import PayoutError
from servicing.views.disbursement import finance_view, money_action


@finance_view
def payout_list(request):
    return render(
        request,
        "servicing/commissions/payout_list.html",
        {
            "open": sel.payouts_open(),
            "recent": sel.payouts_recent(),
            "differences": sel.commission_subledger_differences(),
        },
    )


@finance_view
def payout_detail(request, payout_id: int):
    return _detail(request, payout_id)


def _detail(request, payout_id: int, form: PayoutInvoiceForm | None = None):
    payout = get_object_or_404(CommissionPayout, pk=payout_id)
    user = request.user
    can_prepare = can_move_money(user, MoneyAction.COMMISSION_PAYOUT_PREPARE)
    return render(
        request,
        "servicing/commissions/payout_detail.html",
        {
            "payout": payout,
            "token": uuid.uuid4().hex,
            "form": form
            or PayoutInvoiceForm(
                initial={"invoice_amount": payout.amount, "invoice_number": payout.invoice_number}
            ),
            "can_invoice": can_prepare and payout.status in (PayoutStatus.HELD, PayoutStatus.DRAFT),
            "can_prepare": can_prepare and payout.status == PayoutStatus.DRAFT,
            "can_retry": can_prepare and payout.status == PayoutStatus.FAILED,
            "can_approve": payout.status == PayoutStatus.PREPARED
            and can_move_money(user, MoneyAction.COMMISSION_PAYOUT_APPROVE)
            and user.pk != payout.prepared_by_id,
            "invoice_required": payouts_svc.invoice_required(),
        },
    )


def _back(payout_id: int):
    return redirect("servicing:commission_payout_detail", payout_id=payout_id)


def _refused(request, payout_id: int, exc: PayoutError):
    messages.error(request, exc.message)
    return NothingDone(_back(payout_id))


@finance_view
@require_POST
@money_action(MoneyAction.COMMISSION_PAYOUT_PREPARE)
@recent_auth_required
def payout_invoice(request, payout_id: int):
    get_object_or_404(CommissionPayout, pk=payout_id)
    form = PayoutInvoiceForm(request.POST)
    if not form.is_valid():
        return _detail(request, payout_id, form=form)

    def run(key: str):  # noqa: ARG001 - the service refuses an invoice once prepared
        try:
            payouts_svc.commission_payout_invoice_record(
                payout_id=payout_id, actor=request.user, **form.cleaned_data
            )
        except PayoutError as exc:
            raise _refused(request, payout_id, exc) from exc
        messages.success(request, gettext("发票已登记。"))
        return _back(payout_id)

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.COMMISSION_PAYOUT_PREPARE)
@recent_auth_required
def payout_prepare(request, payout_id: int):
    get_object_or_404(CommissionPayout, pk=payout_id)

    def run(key: str):  # noqa: ARG001 - idempotent by the payout's state, under its lock
        try:
            payouts_svc.commission_payout_prepare(payout_id=payout_id, actor=request.user)
        except PayoutError as exc:
            raise _refused(request, payout_id, exc) from exc
        messages.success(request, gettext("已提交复核。"))
        return _back(payout_id)

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.COMMISSION_PAYOUT_APPROVE)
@recent_auth_required
def payout_approve(request, payout_id: int):
    get_object_or_404(CommissionPayout, pk=payout_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, gettext("请先核对收款账户和金额，并勾选确认后再放行。"))
        return _back(payout_id)

    def run(key: str):  # noqa: ARG001 - one release per payout, under its lock
        try:
            release_svc.commission_payout_approve(payout_id=payout_id, actor=request.user)
        except PayoutError as exc:
            raise _refused(request, payout_id, exc) from exc
        messages.success(request, gettext("已放行，付款已发送银行。"))
        return _back(payout_id)

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.COMMISSION_PAYOUT_PREPARE)
@recent_auth_required
def payout_retry(request, payout_id: int):
    get_object_or_404(CommissionPayout, pk=payout_id)

    def run(key: str):  # noqa: ARG001 - only a FAILED payout goes back, under its lock
        try:
            payouts_svc.commission_payout_retry(payout_id=payout_id, actor=request.user)
        except PayoutError as exc:
            raise _refused(request, payout_id, exc) from exc
        messages.success(request, gettext("已退回经办，请核对账户后重新提交复核。"))
        return _back(payout_id)

    return idempotent(request, run=run, form=True)
