"""A released deposit refund at the bank: sent under its key (no lock held while the bank is
called), and the bank's final answer recorded once. On success, in one transaction:
借 dealer deposit (the dealer's sub-ledger) / 贷 bank clearing, the sub-ledger's refund row,
and the portal's figures."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import decrypt
from autofin.money import quantize_fen
from servicing.gateway.interface import (
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models import AccountCode, SourceType
from servicing.models.deposits import (
    DepositMovement,
    DepositMovementKind,
    DepositRefund,
    DepositRefundStatus,
)
from servicing.services.deposits.calls import deposit_figures_push
from servicing.services.deposits.receipts import DepositError
from servicing.services.ledger.posting import journal_post

log = logging.getLogger(__name__)
RELEASED = DepositRefundStatus.RELEASED


def deposit_refund_send(*, refund_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send (or send again under the SAME key: the bank dedupes on it) a released refund the
    bank has not answered yet. Returns the refund's status."""
    gateway = gateway or payment_gateway()
    refund = DepositRefund.objects.get(pk=refund_id)
    if refund.status != RELEASED or refund.bank_ref:
        return refund.status
    try:
        result = gateway.send(
            idempotency_key=refund.idempotency_key,
            amount=refund.amount,
            account_number=decrypt(refund.account_number_enc),
            account_name=refund.account_name,
            bank_name=refund.bank_name,
            reference=_("保证金退还 %(id)s") % {"id": refund.pk},
            requested_date=refund.business_date,
        )
    except GatewayTimeout as exc:
        log.warning("deposit refund %s: bank timed out (%s); ask by key", refund_id, exc)
        return refund.status
    except GatewayRejected as exc:
        key = refund.idempotency_key
        return deposit_refund_settle(key=key, status="failed", reason=str(exc), source="send")[0]
    DepositRefund.objects.filter(pk=refund_id, status=RELEASED, bank_ref="").update(
        bank_ref=result.bank_ref[:64]
    )
    return RELEASED


def deposit_refund_settle(
    *,
    key: str,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[str, bool]:
    """The bank's final answer for a refund's key (callback, status query or refused send).
    Returns (the refund's status, whether this call changed it)."""
    if status not in ("succeeded", "failed"):
        raise DepositError(_("银行回调状态无效。"), code="bad_status")
    with transaction.atomic():
        refund = DepositRefund.objects.select_for_update().get(idempotency_key=key)
        if refund.status != RELEASED:
            return refund.status, False
        if amount is not None and quantize_fen(amount) != refund.amount:
            raise DepositError(
                _("银行金额 %(bank)s 与退还金额 %(ours)s 不符。")
                % {"bank": amount, "ours": refund.amount},
                code="amount_mismatch",
            )
        refund.bank_ref = (bank_ref or refund.bank_ref)[:64]
        if status == "succeeded":
            _paid(refund)
        else:
            refund.status = DepositRefundStatus.FAILED
            refund.failure_reason = reason[:255]
            refund.save()
        audit_record(
            actor=f"bank:{source}",
            obj=refund,
            action="deposit_refund_settle",
            from_state=RELEASED,
            to_state=refund.status,
            reason=reason,
            data={"key": key, "bank_ref": refund.bank_ref},
        )
        return refund.status, True


def _paid(refund: DepositRefund) -> None:
    paid_on = business_date_for_posting()
    entry = journal_post(
        business_date=paid_on,
        source_type=SourceType.DEPOSIT,
        source_id=f"refund-{refund.pk}",
        lines=[
            (AccountCode.DEALER_DEPOSIT, "D", refund.amount, None, refund.dealer_id),
            (AccountCode.BANK_CLEARING, "C", refund.amount),
        ],
        idempotency_key=f"deposit-refund:{refund.idempotency_key}",
        description=_("经销商保证金退还 %(name)s") % {"name": refund.dealer_name},
        actor=SYSTEM_ACTOR,
    )
    DepositMovement.objects.create(
        dealer_id=refund.dealer_id,
        kind=DepositMovementKind.REFUND,
        reference=f"refund-{refund.pk}",
        amount=-refund.amount,
        on=paid_on,
        journal_entry_id=entry.pk,
    )
    refund.status = DepositRefundStatus.PAID
    refund.paid_on = paid_on
    refund.journal_entry_id = entry.pk
    if not refund.bank_ref:
        refund.bank_ref = refund.idempotency_key[:64]
    refund.save()
    deposit_figures_push(dealer_id=refund.dealer_id, on=paid_on)


def deposit_refund_recover(*, refund_id: int, gateway: PaymentGateway | None = None) -> str:
    """A released refund whose answer is overdue: ask the bank by key; a payment it never
    saw is sent again under the same key."""
    gateway = gateway or payment_gateway()
    refund = DepositRefund.objects.get(pk=refund_id)
    if refund.status != RELEASED:
        return refund.status
    answer = gateway.status(idempotency_key=refund.idempotency_key)
    if answer.status in ("succeeded", "failed"):
        return deposit_refund_settle(
            key=refund.idempotency_key,
            status=answer.status,
            bank_ref=answer.bank_ref,
            amount=answer.amount,
            reason=answer.reason,
            source="status",
        )[0]
    if answer.status == "not_found":
        DepositRefund.objects.filter(pk=refund_id).update(bank_ref="")
        return deposit_refund_send(refund_id=refund_id, gateway=gateway)
    return refund.status
