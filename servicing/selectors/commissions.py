"""Reads of dealer commission payouts for finance's pages, and the check that the dealers'
commission payable on the ledger equals what their statements and unstated items say, to the
fen, dealer by dealer."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from dealers.models.commissions import Commission, CommissionClawback, CommissionStatement
from servicing.models import AccountCode, JournalLine, Side
from servicing.models.commission_payouts import CommissionPayout, PayoutStatus

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=20, decimal_places=2)

# What finance works on first: what waits for a person, then what the bank has, then history.
OPEN = (PayoutStatus.HELD, PayoutStatus.DRAFT, PayoutStatus.PREPARED, PayoutStatus.FAILED)


def payouts_open() -> QuerySet[CommissionPayout]:
    return CommissionPayout.objects.filter(status__in=OPEN).order_by("month", "pk")


def payouts_recent(*, limit: int = 50) -> list[CommissionPayout]:
    return list(CommissionPayout.objects.exclude(status__in=OPEN).order_by("-month", "-pk")[:limit])


def statements_awaiting_payout() -> QuerySet[CommissionStatement]:
    """Statements with something to pay (待付) and no payout yet: the month just closed, and any
    left from before payouts existed."""
    return CommissionStatement.objects.filter(
        pay_status=CommissionStatement.PayStatus.PENDING
    ).exclude(pk__in=CommissionPayout.objects.values("statement_id"))


def commission_payable_by_dealer() -> dict[int, Decimal]:
    """{dealer_id: credit balance of commission payable} from the ledger's dealer lines (a
    negative figure is what the dealer owes back)."""
    rows = (
        JournalLine.objects.filter(
            account__code=AccountCode.COMMISSION_PAYABLE, dealer_id__isnull=False
        )
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
    return {r["dealer_id"]: r["credit"] - r["debit"] for r in rows}


def commission_owed_by_statements() -> dict[int, Decimal]:
    """{dealer_id: what the dealers app says is owed}: the net of each statement still to pay,
    the debt of the last statement carried forward and not yet brought into another, and the
    accruals and clawbacks on no statement yet."""
    owed: dict[int, Decimal] = {}

    def add(dealer_id: int, amount: Decimal | None) -> None:
        owed[dealer_id] = owed.get(dealer_id, ZERO) + (amount or ZERO)

    open_statements = CommissionStatement.objects.filter(
        Q(pay_status=CommissionStatement.PayStatus.PENDING)
        | Q(pay_status=CommissionStatement.PayStatus.CARRIED, carried_into__isnull=True)
    )
    # a carried debt counts net of what was settled outside commission (debt_settled)
    for row in open_statements.values("dealer_id").annotate(
        s=Sum(F("net_amount") + F("debt_settled"))
    ):
        add(row["dealer_id"], row["s"])
    unstated = Commission.objects.filter(statement_line__isnull=True, amount__gt=0)
    for row in unstated.values("dealer_id").annotate(s=Sum("amount")):
        add(row["dealer_id"], row["s"])
    clawed = CommissionClawback.objects.filter(statement_line__isnull=True)
    for row in clawed.values("commission__dealer_id").annotate(s=Sum("amount")):
        add(row["commission__dealer_id"], row["s"])
    return owed


def commission_subledger_differences() -> list[dict]:
    """Dealers whose ledger balance and statements disagree (empty when the books agree)."""
    ledger = commission_payable_by_dealer()
    owed = commission_owed_by_statements()
    return [
        {"dealer_id": d, "ledger": ledger.get(d, ZERO), "statements": owed.get(d, ZERO)}
        for d in sorted(ledger.keys() | owed.keys())
        if ledger.get(d, ZERO) != owed.get(d, ZERO)
    ]
