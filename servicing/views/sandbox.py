"""The sandbox payment provider's cashier page (routed only with AUTOFIN_SANDBOX)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from autofin.money import format_cny
from dealers.selectors import staff_for_user
from servicing.adapters import payment_provider
from servicing.models.repayments import PaymentOrder
from servicing.services.deposits.online import deposit_payment_order_of
from servicing.services.loans.account import LoanError


@login_required
def sandbox_pay(request, provider_ref: str):
    """The sandbox provider's cashier page (what the real provider's hosted page would be)."""
    deposit_order = deposit_payment_order_of(provider_ref)
    if deposit_order is not None:
        return _deposit_pay(request, deposit_order)
    order = get_object_or_404(
        PaymentOrder.objects.select_related("loan"), provider_ref=provider_ref
    )
    if order.loan.customer_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    if request.method == "POST" and order.status == "created":
        success = request.POST.get("outcome") != "fail"
        try:
            order = payment_provider().pay(
                provider_ref=order.provider_ref, amount=order.amount, success=success
            )
        except LoanError as exc:
            messages.error(request, exc.message)
        else:
            if order.status == "paid":
                messages.success(
                    request, _("支付成功：%(a)s 已入账。") % {"a": format_cny(order.amount)}
                )
            else:
                messages.error(request, _("支付失败，未扣款。"))
        return redirect("servicing:my_loan_detail", loan_id=order.loan_id)
    return render(request, "servicing/sandbox_pay.html", {"order": order})


def _deposit_pay(request, order):
    """A dealer's deposit order: only an admin of that dealer pays it here."""
    staff = staff_for_user(request.user)
    if staff is None or staff.dealer_id != order.dealer_id or staff.role != "dealer_admin":
        raise Http404
    if request.method == "POST" and order.status == "created":
        order = payment_provider().pay(
            provider_ref=order.provider_ref,
            amount=order.amount,
            success=request.POST.get("outcome") != "fail",
        )
        if order.status == "paid":
            messages.success(
                request, _("支付成功：%(a)s 已入账。") % {"a": format_cny(order.amount)}
            )
        else:
            messages.error(request, _("支付失败，未扣款。"))
        return redirect("dealers:portal_home")
    return render(request, "servicing/sandbox_pay.html", {"order": order})
