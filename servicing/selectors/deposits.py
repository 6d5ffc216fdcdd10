"""Dealer deposits read back: the balance of `dealer_deposit` per dealer from the ledger's
dealer lines, and the check that it equals the deposit sub-ledger (DepositMovement), to the fen,
dealer by dealer."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from servicing.models import AccountCode, JournalLine, Side
from servicing.models.deposits import DepositMovement

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def deposit_ledger_by_dealer() -> dict[int, Decimal]:
    """{dealer_id: credit balance of dealer deposit} from the ledger's dealer lines."""
    rows = (
        JournalLine.objects.filter(account__code=AccountCode.DEALER_DEPOSIT)
        .values("dealer_id")
        .annotate(
            credit=Coalesce(
                Sum("amount", filter=Q(side=Side.CREDIT)), Value(ZERO), output_field=_MONEY
            ),
            debit=Coalesce(
                Sum("amount", filter=Q(side=Side.DEBIT)), Value(ZERO), output_field=_MONEY
            ),
        )
    )
    # A line without a dealer would be deposit no one holds: reported under None, never hidden.
    return {r["dealer_id"]: r["credit"] - r["debit"] for r in rows}


def deposit_subledger_by_dealer() -> dict[int, Decimal]:
    rows = DepositMovement.objects.values("dealer_id").annotate(s=Sum("amount"))
    return {r["dealer_id"]: r["s"] for r in rows}


def deposit_subledger_differences() -> list[dict]:
    """Dealers whose ledger balance and deposit sub-ledger disagree (empty when they agree)."""
    ledger = deposit_ledger_by_dealer()
    sub = deposit_subledger_by_dealer()
    return [
        {"dealer_id": d, "ledger": ledger.get(d, ZERO), "subledger": sub.get(d, ZERO)}
        for d in sorted(ledger.keys() | sub.keys(), key=lambda k: (k is None, k or 0))
        if ledger.get(d, ZERO) != sub.get(d, ZERO)
    ]
