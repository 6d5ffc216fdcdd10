"""Freezing a dealer's floor-plan line from servicing (an overdue advance at night, a car sold
out of trust found by a stock audit).

The line is origination's (a credit decision); origination's `line_freeze` is the one rule. Until
that lands on this branch this module holds the same small rule — only an active line freezes,
its first reason kept, one audit row — and the integrator points `line_freeze` here at
origination.services.floorplan.line_freeze."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from autofin.audit import audit_record
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus


def line_freeze(*, line: FloorplanLine | int, reason: str, by: Any) -> FloorplanLine:
    """Freeze an active line (a frozen or closed one is left as it is)."""
    line_id = line.pk if isinstance(line, FloorplanLine) else line
    with transaction.atomic():
        line = FloorplanLine.objects.select_for_update().get(pk=line_id)
        if line.status != FloorplanLineStatus.ACTIVE:
            return line
        line.status = FloorplanLineStatus.FROZEN
        line.frozen_reason = reason.strip()
        line.frozen_at = timezone.now()
        line.save(update_fields=["status", "frozen_reason", "frozen_at", "updated_at"])
        audit_record(
            actor=by,
            obj=line,
            action="floorplan_line_freeze",
            from_state=FloorplanLineStatus.ACTIVE,
            to_state=FloorplanLineStatus.FROZEN,
            reason=line.frozen_reason,
        )
    return line


def floorplan_lines_freeze(*, reasons: dict[int, str], actor: Any) -> int:
    """Freeze each line of `reasons` (line id → why), in id order; returns how many froze."""
    frozen = 0
    for line_id in sorted(reasons):
        before = FloorplanLine.objects.values_list("status", flat=True).get(pk=line_id)
        line = line_freeze(line=line_id, reason=reasons[line_id], by=actor)
        frozen += before != line.status
    return frozen
