"""Floor-plan figures read from the advances (one rule for what a line has in use)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, F, Sum, When

from autofin.money import ZERO
from servicing.models.floorplan import LIVE_ADVANCE_STATUSES, AdvanceStatus, FloorplanAdvance


def line_used(line_id: int) -> Decimal:
    """Principal outstanding of funded advances plus the amounts of those not yet funded
    (requested, approved, on their way to the bank): what the line cannot lend again."""
    total = FloorplanAdvance.objects.filter(
        line_id=line_id, status__in=LIVE_ADVANCE_STATUSES
    ).aggregate(
        used=Sum(
            Case(
                When(status=AdvanceStatus.FUNDED, then=F("principal_outstanding")),
                default=F("amount"),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            )
        )
    )["used"]
    return total or ZERO


def line_available(line) -> Decimal:
    """The limit less what is in use, never below zero (a lowered limit leaves nothing)."""
    return max(line.limit - line_used(line.pk), ZERO)
