"""A dealer's deposit paid through the payment provider's collection, as a customer pays an
instalment online: an order for what the dealer's open calls still ask, the provider's
cashier, and the provider's verified callback posting the order's amount once on the dealer's
deposit sub-ledger (the same receipt entry as a bank-statement receipt, under the provider's
reference). The one callback endpoint routes here by the provider's reference."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO, format_cny, quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from dealers.selectors import dealer_summary
from servicing.adapters import payment_provider
from servicing.models.deposits import (
    DepositCall,
    DepositCallStatus,
    DepositMovementKind,
    DepositPaymentOrder,
)
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_figures_push,
    open_calls_settle,
)
from servicing.services.deposits.receipts import DepositError, deposit_post_in


def deposit_called_outstanding(*, dealer_id: int) -> Decimal:
    """What the dealer's open calls still ask for."""
    left = DepositCall.objects.filter(dealer_id=dealer_id, status=DepositCallStatus.OPEN).aggregate(
        s=Sum(F("amount") - F("received"))
    )["s"]
    return left or ZERO


def _at_provider(order: DepositPaymentOrder, *, return_url: str) -> tuple[DepositPaymentOrder, str]:
    """Ask the provider once, under the order's lock (a concurrent duplicate finds the ref)."""
    provider = payment_provider()
    if order.provider_ref is None:
        with transaction.atomic():
            order = DepositPaymentOrder.objects.select_for_update().get(pk=order.pk)
            if order.provider_ref is None:
                created = provider.create_payment(
                    amount=order.amount,
                    description=_("经销商保证金 #%(id)s") % {"id": order.dealer_id},
                    return_url=return_url,
                    idempotency_key=order.idempotency_key,
                )
                order.provider_ref = created.provider_ref
                order.save(update_fields=["provider_ref"])
    return order, provider.pay_url(order.provider_ref)


def deposit_payment_order_create(
    *, dealer_id: int, amount: Decimal | str, actor: Any, idempotency_key: str,
    return_url: str = "",
) -> tuple[DepositPaymentOrder, str]:  # fmt: skip
    """Start the dealer's online deposit payment; (order, the provider's pay URL). No more
    than the open calls ask; a replay of the key for the same dealer and amount returns the
    first order, anything else under it is refused."""
    if not can_move_money(actor, MoneyAction.DEPOSIT_PAY_ONLINE):
        raise DepositError(_("您没有在线缴纳保证金的权限。"), code="forbidden")
    try:
        amount = quantize_fen(to_decimal(amount))
    except (TypeError, ValueError) as exc:
        raise DepositError(_("请输入有效金额。"), field="amount") from exc
    found = DepositPaymentOrder.objects.filter(idempotency_key=idempotency_key).first()
    if found is None:
        due = deposit_called_outstanding(dealer_id=dealer_id)
        if amount <= 0 or amount > due:
            raise DepositError(
                _("缴纳金额应大于零且不超过待缴金额 %(due)s。") % {"due": format_cny(due)},
                field="amount",
            )
        try:
            with transaction.atomic():
                found = DepositPaymentOrder.objects.create(
                    dealer_id=dealer_id,
                    amount=amount,
                    provider=payment_provider().name,
                    idempotency_key=idempotency_key,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
                audit_record(
                    actor=actor,
                    obj=found,
                    action="deposit_payment_order_create",
                    to_state=found.status,
                    data={"amount": str(amount)},
                )
        except IntegrityError:
            found = DepositPaymentOrder.objects.get(idempotency_key=idempotency_key)
    if found.dealer_id != dealer_id or found.amount != amount:
        raise DepositError(
            _("该幂等键已用于另一笔支付订单，请刷新页面后重试。"), code="idempotency_conflict"
        )
    return _at_provider(found, return_url=return_url)


def deposit_payment_order_of(ref: str) -> DepositPaymentOrder | None:
    return DepositPaymentOrder.objects.filter(provider_ref=ref).first() if ref else None


def deposit_payment_callback_handle(*, payload: dict) -> DepositPaymentOrder:
    """The provider's verified callback for a deposit order: a success for the order's amount
    posts the receipt once and pays the open calls; the same callback again changes nothing;
    another amount holds the order for finance (nothing posted)."""
    ref = str(payload.get("provider_ref") or "")
    order = deposit_payment_order_of(ref)
    if order is None:
        raise DepositError(_("未知的支付订单：%(ref)s") % {"ref": ref}, code="unknown_order")
    actor = f"payment:{payment_provider().name}"
    success = payload.get("status") == "success"
    try:
        claimed = quantize_fen(to_decimal(payload.get("amount")))
    except (TypeError, ValueError):
        claimed = None
    with transaction.atomic():
        dealer_deposit_lock(order.dealer_id)
        order = DepositPaymentOrder.objects.select_for_update().get(pk=order.pk)
        order.callback_count += 1
        before = order.status
        if before != "created":
            order.save(update_fields=["callback_count"])
            return order
        on = business_date_for_posting()
        if success and claimed == order.amount:
            name = dealer_summary(dealer_id=order.dealer_id)["legal_name"]
            order.movement = deposit_post_in(
                dealer_id=order.dealer_id,
                kind=DepositMovementKind.RECEIPT,
                reference=ref,
                amount=order.amount,
                on=on,
                description=_("经销商保证金在线缴纳 %(name)s") % {"name": name},
            )
            open_calls_settle(dealer_id=order.dealer_id, amount=order.amount)
            order.status = "paid"
        else:
            order.status = "held" if success else "failed"
        order.claimed_amount = claimed
        order.save(update_fields=["status", "movement", "claimed_amount", "callback_count"])
        audit_record(
            actor=actor,
            obj=order,
            action="deposit_payment_callback",
            from_state=before,
            to_state=order.status,
            data={"claimed": str(claimed), "order_amount": str(order.amount)},
        )
        if order.status == "paid":
            deposit_figures_push(dealer_id=order.dealer_id, on=on)
    return order
