"""Helpers for the commission payout tests: what funding, the nightly step and finance do,
in the order they do it, and the check that the ledger and the statements agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from autofin.business_date import business_date_set
from dealers.services import commission_accrue, commission_clawback, commission_statement_for_month
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.commission_payouts import CommissionPayout
from servicing.selectors.commissions import (
    commission_owed_by_statements,
    commission_payable_by_dealer,
    commission_subledger_differences,
)
from servicing.selectors.ledger import trial_balance
from servicing.services.commissions.bank import commission_payout_send
from servicing.services.commissions.ledger import commission_accrual_post, commission_clawback_post
from servicing.services.commissions.payouts import (
    commission_payout_create,
    commission_payout_prepare,
)
from servicing.services.commissions.release import commission_payout_approve
from tests.servicing.disbursement_support import next_serial

D = Decimal
ZERO = D("0.00")


def on(day: dt.date) -> None:
    business_date_set(actor="test", date=day, reason="test")


def accrue(dealer, amount: str, funded_on: dt.date) -> str:
    """What funding does: the accrual row and its entry in one transaction."""
    ref = f"HT{next_serial()}"
    with transaction.atomic():
        c = commission_accrue(
            dealer=dealer,
            contract_ref=ref,
            amount_financed=amount,
            funded_on=funded_on,
            product_line="used",
        )
        commission_accrual_post(
            commission_id=c.pk,
            dealer_id=c.dealer_id,
            amount=c.amount,
            contract_ref=ref,
            on=funded_on,
        )
    return ref


def claw(ref: str, day: dt.date) -> None:
    """What the nightly dealer_metrics step does for a loan settled early."""
    with transaction.atomic():
        cb = commission_clawback(contract_ref=ref, reason="early_settlement", event_date=day)
        commission_clawback_post(
            clawback_id=cb.pk,
            dealer_id=cb.commission.dealer_id,
            amount=cb.amount,
            contract_ref=ref,
            on=day,
        )


def month_end(dealer, month: dt.date):
    """What the nightly step does at month-end: the statement, then its payout."""
    statement = commission_statement_for_month(dealer=dealer, month=month)
    return statement, commission_payout_create(statement=statement)


def pay(payout, maker, checker) -> CommissionPayout:
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    assert commission_payout_send(payout_id=payout.pk) == "sent"
    payout.refresh_from_db()
    assert SandboxBank().callbacks_deliver(keys=[payout.idempotency_key]) == 1
    payout.refresh_from_db()
    return payout


def books_agree(dealer, expected: str) -> None:
    assert commission_payable_by_dealer().get(dealer.pk, ZERO) == D(expected)
    assert commission_owed_by_statements().get(dealer.pk, ZERO) == D(expected)
    assert commission_subledger_differences() == []
    assert trial_balance().total == ZERO
