"""The payment provider's one callback, routed by the provider's reference to the order it
answers: a dealer's online deposit payment, else a customer's loan payment."""

from __future__ import annotations

from servicing.services.deposits.online import (
    deposit_payment_callback_handle,
    deposit_payment_order_of,
)
from servicing.services.repayments.online import payment_callback_handle


def payment_callback_route(*, payload: dict):
    """The order the verified callback settled (a PaymentOrder or a DepositPaymentOrder)."""
    ref = str(payload.get("provider_ref") or "") if isinstance(payload, dict) else ""
    if deposit_payment_order_of(ref) is not None:
        return deposit_payment_callback_handle(payload=payload)
    return payment_callback_handle(payload=payload)
