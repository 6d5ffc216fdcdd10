"""A released payout at the bank, through the one outgoing-payment engine (services.outgoing).
On success, in one transaction: 借 commission payable / 贷 bank clearing on the dealer's
sub-ledger, and the statement marked 已付 by the dealers app."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from dealers.services import commission_statement_mark_paid
from servicing.gateway.interface import PaymentGateway
from servicing.models import AccountCode, SourceType
from servicing.models.commission_payouts import CommissionPayout, PayoutStatus
from servicing.services.commissions.payouts import PayoutError
from servicing.services.ledger.posting import journal_post
from servicing.services.outgoing import (
    OutgoingKind,
    outgoing_recover,
    outgoing_send,
    outgoing_to_recover,
)


def commission_payout_paid(payout: CommissionPayout, paid_on: dt.date) -> None:
    """The bank paid `amount` (or a set-off took it all): 借 commission payable / 贷 bank
    clearing for what the bank paid, and the statement 已付 for its whole net, the repurchase
    debt set against it included."""
    if payout.amount:
        entry = journal_post(
            business_date=paid_on,
            source_type=SourceType.COMMISSION,
            source_id=f"payout-{payout.pk}",
            lines=[
                (AccountCode.COMMISSION_PAYABLE, "D", payout.amount, None, payout.dealer_id),
                (AccountCode.BANK_CLEARING, "C", payout.amount),
            ],
            idempotency_key=f"commission-pay:{payout.idempotency_key}",
            description=_("经销商返佣付款 %(number)s") % {"number": payout.statement_number},
            actor=SYSTEM_ACTOR,
        )
        payout.journal_entry_id = entry.pk
    payout.status = PayoutStatus.PAID
    payout.paid_on = paid_on
    payout.save()
    commission_statement_mark_paid(
        statement_id=payout.statement_id,
        amount=payout.amount + payout.debt_set_off,
        paid_on=paid_on,
        bank_ref=payout.bank_ref or f"SETOFF-{payout.pk}",
    )


PAYOUTS = OutgoingKind(
    name="commission_payout",
    model=CommissionPayout,
    released=PayoutStatus.RELEASED,
    failed=PayoutStatus.FAILED,
    reference=lambda payout: f"{payout.statement_number} 返佣",
    paid=commission_payout_paid,
    error=PayoutError,
)


def commission_payout_send(*, payout_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send the payout under its key (the Celery task's body); safe to run twice."""
    return outgoing_send(PAYOUTS, payout_id, gateway=gateway).bank_status


def commission_payout_recover(*, payout_id: int, gateway: PaymentGateway | None = None) -> str:
    return outgoing_recover(PAYOUTS, payout_id, gateway=gateway).bank_status


def commission_payouts_to_recover(*, older_than: dt.timedelta) -> list[int]:
    return outgoing_to_recover(PAYOUTS, older_than=older_than)
