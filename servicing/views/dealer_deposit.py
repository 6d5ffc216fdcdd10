"""The dealer admin pays the deposit its open calls ask for at the payment provider's cashier
(from the portal's overview); the provider's callback posts it (servicing.services.deposits.
online). The sandbox cashier page serves these orders as it serves the customers'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from dealers.views.access import is_dealer_admin, portal_view
from servicing.services.deposits.online import (
    deposit_called_outstanding,
    deposit_payment_order_create,
)
from servicing.services.deposits.receipts import DepositError


@portal_view
@require_POST
def dealer_deposit_pay(request):
    if not is_dealer_admin(request):
        raise PermissionDenied
    dealer_id = request.dealer.pk

    def run(key: str):
        try:
            _order, pay_url = deposit_payment_order_create(
                dealer_id=dealer_id,
                amount=deposit_called_outstanding(dealer_id=dealer_id),
                actor=request.user,
                idempotency_key=f"deposit-pay:{key}",
                return_url=request.build_absolute_uri("/dealer/"),
            )
        except DepositError as exc:
            messages.error(request, exc.message)
            raise NothingDone(redirect("dealers:portal_home")) from exc
        return redirect(pay_url)

    return idempotent(request, run=run, form=True)
