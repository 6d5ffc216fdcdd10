"""A released repossession payment at the bank, through the one outgoing-payment engine
(services.outgoing). On success, in one transaction: 借 the vendor payable (a cost) or the
surplus payable (the customer's surplus), on the loan / 贷 bank clearing."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from servicing.gateway.interface import PaymentGateway
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.repossession import (
    PaymentPurpose,
    RepossessionPayment,
    RepossessionPaymentStatus,
)
from servicing.services.ledger.posting import journal_post
from servicing.services.outgoing import OutgoingKind, outgoing_recover, outgoing_send
from servicing.services.repossession.cases import RepossessionError

PAYABLE = {
    PaymentPurpose.COST: A.REPOSSESSION_VENDOR_PAYABLE,
    PaymentPurpose.SURPLUS: A.CUSTOMER_PAYABLE,
}


def _paid(payment: RepossessionPayment, paid_on: dt.date) -> None:
    entry = journal_post(
        business_date=paid_on,
        source_type=SourceType.REPOSSESSION,
        source_id=f"payment-{payment.pk}",
        lines=[
            (PAYABLE[payment.purpose], "D", payment.amount, payment.loan_id),
            (A.BANK_CLEARING, "C", payment.amount),
        ],
        idempotency_key=f"repossession-payment:{payment.idempotency_key}",
        description=_("收车款项支付 %(name)s") % {"name": payment.payee_name},
        actor=SYSTEM_ACTOR,
        loan_id=payment.loan_id,
    )
    payment.status = RepossessionPaymentStatus.PAID
    payment.paid_on = paid_on
    payment.journal_entry_id = entry.pk
    payment.save()


PAYMENTS = OutgoingKind(
    name="repossession_payment",
    model=RepossessionPayment,
    released=RepossessionPaymentStatus.RELEASED,
    failed=RepossessionPaymentStatus.FAILED,
    reference=lambda payment: _("收车款项 %(id)s") % {"id": payment.pk},
    paid=_paid,
    error=RepossessionError,
)


def repossession_payment_send(*, payment_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send (or send again under the SAME key) a released payment. Returns its status."""
    return outgoing_send(PAYMENTS, payment_id, gateway=gateway).status


def repossession_payment_recover(*, payment_id: int, gateway: PaymentGateway | None = None) -> str:
    """A released payment whose answer is overdue: ask the bank by key, send again if unseen."""
    return outgoing_recover(PAYMENTS, payment_id, gateway=gateway).status
