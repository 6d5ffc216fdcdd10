"""Repurchases (回购) read back: finance's list, a dealer's own, the events the credit-reporting
feed reads (a loan closed as repurchased on its date), and the recourse sub-ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet, Sum

from servicing.models.repurchases import Repurchase, RepurchaseCollection, RepurchaseStatus

ZERO = Decimal("0.00")
BOOKED = (RepurchaseStatus.DUE, RepurchaseStatus.SETTLED)


def repurchases_recent(*, limit: int = 100) -> list[Repurchase]:
    return list(Repurchase.objects.select_related("requested_by", "approved_by")[:limit])


def repurchases_of_dealer(*, dealer_id: int) -> QuerySet[Repurchase]:
    """What the dealer's portal shows: its repurchases past the request (a request not yet
    decided is finance's business)."""
    return Repurchase.objects.filter(dealer_id=dealer_id, status__in=BOOKED).order_by("-closed_on")


def repurchase_events(*, start: dt.date, end: dt.date) -> list[dict]:
    """Loans closed as repurchased between `start` and `end` (inclusive): the special event
    the credit-reporting feed reports (the loan settled by the dealer, not by the borrower)."""
    return list(
        Repurchase.objects.filter(status__in=BOOKED, closed_on__range=(start, end))
        .order_by("closed_on", "pk")
        .values("loan_id", "contract_ref", "dealer_id", "closed_on", "amount", "ground")
    )


def recourse_subledger_by_dealer() -> dict[int, Decimal]:
    """{dealer_id: what it owes for repurchases}: the booked amounts less what was collected
    (the collections' own rows, not the repurchases' running totals)."""
    owed: dict[int, Decimal] = {}
    for row in (
        Repurchase.objects.filter(status__in=BOOKED).values("dealer_id").annotate(s=Sum("amount"))
    ):
        owed[row["dealer_id"]] = row["s"]
    for row in RepurchaseCollection.objects.values("dealer_id").annotate(s=Sum("amount")):
        owed[row["dealer_id"]] = owed.get(row["dealer_id"], ZERO) - row["s"]
    return owed
