"""Finance's floor-plan page (/finance/floorplan/): advances the dealers requested, approved by
a maker and released to the bank by a checker who is not the maker (above the policy
threshold), the book's totals, custody of the 合格证, payoffs seen at the bank, and a link to
the stock audits (盘库). Thin: the advances service decides; every POST is a money action
checked as the service checks it, and idempotent."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from servicing.models.floorplan import FloorplanAdvance, FloorplanPaymentSource
from servicing.selectors import floorplan_pages as pages
from servicing.services.floorplan.advances import (
    FloorplanError,
    advance_approve,
    advance_reject,
    advance_release,
    certificate_receive,
)
from servicing.services.floorplan.payoffs import advance_payoff
from servicing.views.disbursement import finance_view, money_action


@finance_view
def floorplan_board(request):
    user = request.user
    return render(
        request,
        "servicing/floorplan/finance.html",
        {
            **pages.finance_board(),
            "token": uuid.uuid4().hex,
            "can_approve": can_move_money(user, MoneyAction.FLOORPLAN_ADVANCE_APPROVE),
            "can_release": can_move_money(user, MoneyAction.FLOORPLAN_ADVANCE_RELEASE),
            "can_record": can_move_money(user, MoneyAction.FLOORPLAN_PAYMENT_RECORD),
        },
    )


def _back():
    return redirect("servicing:floorplan_board")


def _act(request, advance_id: int, action, done: str):
    advance = get_object_or_404(FloorplanAdvance, pk=advance_id)

    def run(key: str):  # noqa: ARG001 - one approval / release per advance, under its lock
        try:
            action(advance)
        except FloorplanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(_back()) from exc
        messages.success(request, done % {"vin": advance.vin})
        return _back()

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.FLOORPLAN_ADVANCE_APPROVE)
@recent_auth_required
def floorplan_advance_approve(request, advance_id: int):
    return _act(
        request,
        advance_id,
        lambda a: advance_approve(advance=a, by=request.user),
        gettext("已审批（车架号 %(vin)s），等待放行。"),
    )


@finance_view
@require_POST
@money_action(MoneyAction.FLOORPLAN_ADVANCE_APPROVE)
@recent_auth_required
def floorplan_advance_reject(request, advance_id: int):
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, gettext("请填写拒绝原因。"))
        return _back()
    return _act(
        request,
        advance_id,
        lambda a: advance_reject(advance=a, reason=reason, by=request.user),
        gettext("已拒绝（车架号 %(vin)s）。"),
    )


@finance_view
@require_POST
@money_action(MoneyAction.FLOORPLAN_ADVANCE_RELEASE)
@recent_auth_required
def floorplan_advance_release(request, advance_id: int):
    if request.POST.get("confirm") != "1":
        messages.error(request, gettext("请先核对收款账户和金额，并勾选确认后再放行。"))
        return _back()
    return _act(
        request,
        advance_id,
        lambda a: advance_release(advance=a, by=request.user),
        gettext("已放行（车架号 %(vin)s），款项已发送银行。"),
    )


@finance_view
@require_POST
@money_action(MoneyAction.FLOORPLAN_PAYMENT_RECORD)
def floorplan_certificate_receive(request, advance_id: int):
    """The car's 合格证 arrived: finance holds it until the advance is paid off."""
    number = request.POST.get("certificate_no", "")
    return _act(
        request,
        advance_id,
        lambda a: certificate_receive(a, certificate_no=number, by=request.user),
        gettext("合格证已登记收押（车架号 %(vin)s）。"),
    )


@finance_view
@require_POST
@money_action(MoneyAction.FLOORPLAN_PAYMENT_RECORD)
@recent_auth_required
def floorplan_payoff_record(request, advance_id: int):
    """The dealer's payment seen on the bank statement, applied interest → curtailments →
    principal; once per bank reference (the service's unique source)."""
    amount, bank_ref = request.POST.get("amount", ""), request.POST.get("bank_ref", "")
    return _act(
        request,
        advance_id,
        lambda a: advance_payoff(
            a, amount, FloorplanPaymentSource.BANK_RECEIPT, bank_ref, request.user
        ),
        gettext("还款已入账（车架号 %(vin)s）。"),
    )
