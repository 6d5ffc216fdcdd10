"""The partner sub-ledgers reconciled with the ledger: ONE registry, account code → the
function that sums the account's sub-ledger per partner (the documents the balance stands
for), and `partner_ledgers_reconcile` comparing each with the ledger lines keyed by the same
partner, to the fen.

A sub-ledger's sum is read through the selector that already defines it (the statements'
commission owed, the deposit movements, the repurchases less their collections), so the rule of
what a document owes lives once. Other areas register their accounts here (OEM subsidy claims,
floor-plan advances) by one entry in `PARTNER_LEDGERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from servicing.ledger_names import account_name
from servicing.models import AccountCode, JournalLine, LedgerAccount, Side
from servicing.selectors.commissions import commission_owed_by_statements
from servicing.selectors.deposits import deposit_subledger_by_dealer
from servicing.selectors.floorplan import (
    floorplan_interest_by_dealer,
    floorplan_receivable_by_dealer,
)
from servicing.selectors.repurchases import recourse_subledger_by_dealer

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=20, decimal_places=2)

SubLedger = Callable[[], dict[int, Decimal]]

# account code → {partner id: its balance on the account's normal side, from the documents}
PARTNER_LEDGERS: dict[str, SubLedger] = {
    # what the statements say is owed to the dealer; a clawback carried forward is negative
    AccountCode.COMMISSION_PAYABLE.value: commission_owed_by_statements,
    AccountCode.DEALER_DEPOSIT.value: deposit_subledger_by_dealer,
    AccountCode.RECOURSE_RECEIVABLE.value: recourse_subledger_by_dealer,
    # floor-plan advances carry the dealer beside their own key on every ledger line
    AccountCode.FLOORPLAN_RECEIVABLE.value: floorplan_receivable_by_dealer,
    AccountCode.FLOORPLAN_INTEREST_RECEIVABLE.value: floorplan_interest_by_dealer,
}


@dataclass(frozen=True)
class PartnerLedgerRow:
    account: str
    ledger: Decimal
    subledger: Decimal
    # partners whose own balance disagrees (a wrong partner nets out in the totals)
    partners_differing: tuple[int | None, ...]

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.subledger

    @property
    def account_label(self) -> str:
        return account_name(self.account)


def ledger_by_partner(code: str) -> dict[int | None, Decimal]:
    """{dealer_id: balance on the account's normal side} from the ledger's lines; lines with no
    partner are reported under None, never hidden."""
    normal = LedgerAccount.objects.values_list("normal_side", flat=True).get(code=code)
    rows = (
        JournalLine.objects.filter(account__code=code)
        .values("dealer_id")
        .annotate(
            d=Coalesce(Sum("amount", filter=Q(side=Side.DEBIT)), Value(ZERO), output_field=_MONEY),
            c=Coalesce(Sum("amount", filter=Q(side=Side.CREDIT)), Value(ZERO), output_field=_MONEY),
        )
    )
    sign = 1 if normal == Side.DEBIT else -1
    return {r["dealer_id"]: sign * (r["d"] - r["c"]) for r in rows}


def partner_ledgers_reconcile() -> list[PartnerLedgerRow]:
    """(account, ledger balance, sub-ledger sum, difference) per registered account."""
    result = []
    for code, subledger in PARTNER_LEDGERS.items():
        ledger = ledger_by_partner(code)
        sub = subledger()
        differing = tuple(
            sorted(
                (p for p in ledger.keys() | sub.keys() if ledger.get(p, ZERO) != sub.get(p, ZERO)),
                key=lambda p: (p is None, p or 0),
            )
        )
        result.append(
            PartnerLedgerRow(
                account=code,
                ledger=sum(ledger.values(), ZERO),
                subledger=sum(sub.values(), ZERO),
                partners_differing=differing,
            )
        )
    return result
