"""The ledger entries of a dealer's commission, on the dealer's sub-ledger (lines keyed by
dealer_id, never by one of the dealer's loans).

A clawback reduces commission payable rather than raising a separate receivable. The agreement
sets clawbacks off against the dealer's next payout (a legally enforceable right of set-off,
settled net: CAS 37 allows the net presentation), so the dealer's balance on
`commission_payable` is exactly what the statements say is owed to it. When clawbacks exceed
what is payable, the dealer's balance turns debit: that debit IS the receivable from the dealer,
carried forward on its statements until later commission absorbs it (a dealer who leaves pays
it, or it is set against the deposit: the deposit work). One account keeps the figure a person
reconciles in one place; a second account would need a transfer entry at every statement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from servicing.models import AccountCode, JournalEntry, SourceType
from servicing.services.ledger.posting import journal_post

PAYABLE = AccountCode.COMMISSION_PAYABLE
EXPENSE = AccountCode.COMMISSION_EXPENSE


def commission_accrual_post(
    *, commission_id: int, dealer_id: int, amount: Decimal, contract_ref: str, on: dt.date
) -> JournalEntry | None:
    """借 commission expense / 贷 commission payable, in the caller's transaction (the one that
    wrote the accrual row). Idempotent per commission; a zero commission posts nothing."""
    if amount <= 0:
        return None
    return journal_post(
        business_date=on,
        source_type=SourceType.COMMISSION,
        source_id=commission_id,
        lines=[
            (EXPENSE, "D", amount, None, dealer_id),
            (PAYABLE, "C", amount, None, dealer_id),
        ],
        idempotency_key=f"commission-accrue:{commission_id}",
        description=_("经销商返佣计提 %(ref)s") % {"ref": contract_ref},
        actor=SYSTEM_ACTOR,
    )


def commission_clawback_post(
    *, clawback_id: int, dealer_id: int, amount: Decimal, contract_ref: str, on: dt.date
) -> JournalEntry | None:
    """The accrual reversed for the clawed-back share: 借 commission payable / 贷 commission
    expense (see the module's docstring for why payable and not a receivable account).
    `amount` is the clawback as stored (negative). Idempotent per clawback."""
    amount = -amount
    if amount <= 0:
        return None
    return journal_post(
        business_date=on,
        source_type=SourceType.COMMISSION,
        source_id=f"clawback-{clawback_id}",
        lines=[
            (PAYABLE, "D", amount, None, dealer_id),
            (EXPENSE, "C", amount, None, dealer_id),
        ],
        idempotency_key=f"commission-clawback:{clawback_id}",
        description=_("经销商返佣追回 %(ref)s") % {"ref": contract_ref},
        actor=SYSTEM_ACTOR,
    )
