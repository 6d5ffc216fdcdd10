"""Reads of dealer deposits for finance's page: each dealer's figures, open calls, refunds."""

from __future__ import annotations

from django.db.models import QuerySet

from dealers.models.deposits import DealerDeposit
from servicing.models.deposits import (
    DepositCall,
    DepositCallStatus,
    DepositRefund,
    DepositRefundStatus,
)


def deposit_positions() -> QuerySet[DealerDeposit]:
    """Dealers with something due first, then by name."""
    return DealerDeposit.objects.select_related("dealer").order_by("-due", "dealer__legal_name")


def deposit_calls_open() -> QuerySet[DepositCall]:
    return DepositCall.objects.filter(status=DepositCallStatus.OPEN).order_by("called_on", "pk")


def deposit_refunds_recent(*, limit: int = 50) -> list[DepositRefund]:
    """Refunds waiting for a checker or the bank first, then the latest others."""
    waiting = (DepositRefundStatus.PREPARED, DepositRefundStatus.RELEASED)
    first = list(DepositRefund.objects.filter(status__in=waiting).order_by("pk"))
    rest = DepositRefund.objects.exclude(status__in=waiting).order_by("-pk")[:limit]
    return first + list(rest)
