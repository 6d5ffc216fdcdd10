"""A released deposit refund at the bank, through the one outgoing-payment engine
(services.outgoing). On success, in one transaction: 借 dealer deposit (the dealer's
sub-ledger) / 贷 bank clearing, the sub-ledger's refund row, and the portal's figures."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from servicing.gateway.interface import PaymentGateway
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
from servicing.services.outgoing import OutgoingKind, outgoing_recover, outgoing_send


def _paid(refund: DepositRefund, paid_on: dt.date) -> None:
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
    refund.save()
    deposit_figures_push(dealer_id=refund.dealer_id, on=paid_on)


REFUNDS = OutgoingKind(
    name="deposit_refund",
    model=DepositRefund,
    released=DepositRefundStatus.RELEASED,
    failed=DepositRefundStatus.FAILED,
    reference=lambda refund: _("保证金退还 %(id)s") % {"id": refund.pk},
    paid=_paid,
    error=DepositError,
)


def deposit_refund_send(*, refund_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send (or send again under the SAME key) a released refund. Returns its status."""
    return outgoing_send(REFUNDS, refund_id, gateway=gateway).status


def deposit_refund_recover(*, refund_id: int, gateway: PaymentGateway | None = None) -> str:
    """A released refund whose answer is overdue: ask the bank by key; a payment it never
    saw is sent again under the same key."""
    return outgoing_recover(REFUNDS, refund_id, gateway=gateway).status
