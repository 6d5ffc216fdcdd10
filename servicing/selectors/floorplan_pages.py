"""Reads of the floor-plan pages (库存融资): the dealer portal's line, advances and statement,
and finance's board of advances to approve and release (the audits are linked). A line's use is
the figure servicing records on it with every advance that takes or frees limit
(origination.selectors.floorplan.line_use), the same the underwriters see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, Sum

from autofin.money import ZERO
from origination.models.floorplan import FloorplanLine
from origination.selectors.floorplan import line_open_for
from servicing.models.floorplan import (
    AdvanceStatus,
    FloorplanAdvance,
    FloorplanCurtailment,
)

A = AdvanceStatus
RECENT = 20


def dealer_line(dealer_id: int) -> FloorplanLine | None:
    """The dealer's open line, else its last closed one (its history stays readable)."""
    return line_open_for(dealer_id) or (
        FloorplanLine.objects.filter(dealer_id=dealer_id).order_by("-id").first()
    )


def dealer_advances(dealer_id: int) -> QuerySet[FloorplanAdvance]:
    """The dealer's advances, newest first, each with its curtailments in stage order."""
    return (
        FloorplanAdvance.objects.filter(dealer_id=dealer_id)
        .prefetch_related(
            Prefetch("curtailments", queryset=FloorplanCurtailment.objects.order_by("stage"))
        )
        .order_by("-requested_at", "-id")
    )


def finance_board() -> dict:
    """Finance's floor-plan page: advances waiting for approval, for release, in the bank or
    failed; the latest funded; the book's totals (the stock audits have their own page)."""
    live = FloorplanAdvance.objects.order_by("requested_at", "id").select_related(
        "requested_by", "approved_by", "released_by"
    )
    book = FloorplanAdvance.objects.filter(status=A.FUNDED).aggregate(
        principal=Sum("principal_outstanding"), interest=Sum("interest_accrued_unpaid")
    )
    return {
        "to_approve": list(live.filter(status=A.REQUESTED)),
        "to_release": list(live.filter(status=A.APPROVED)),
        "in_bank": list(live.filter(status__in=[A.RELEASED, A.FAILED])),
        "funded": list(live.filter(status__in=[A.FUNDED, A.SETTLED]).order_by("-id")[:RECENT]),
        "book": {
            "principal": book["principal"] or ZERO,
            "interest": book["interest"] or ZERO,
            "count": FloorplanAdvance.objects.filter(status=A.FUNDED).count(),
        },
    }
