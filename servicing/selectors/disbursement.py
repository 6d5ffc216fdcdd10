"""Read queries for the disbursement pages (plain dicts and querysets)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from origination.selectors.contracts import contracts_ready_for_funding
from origination.selectors.funding import contracts_awaiting_funding
from servicing.models.disbursement import (
    Disbursement,
    InstructionStatus,
    PaymentAttempt,
    PaymentInstruction,
)


def contracts_ready() -> list[dict]:
    """origination's ready contracts that have no disbursement yet."""
    ready = contracts_ready_for_funding()
    taken = set(
        Disbursement.objects.filter(contract_id__in=[c["contract_id"] for c in ready]).values_list(
            "contract_id", flat=True
        )
    )
    return [c for c in ready if c["contract_id"] not in taken]


def disbursement_board() -> dict:
    failed = PaymentInstruction.objects.filter(
        disbursement=OuterRef("pk"), status=InstructionStatus.FAILED
    )
    released = (
        Disbursement.objects.filter(status="released")
        .annotate(has_failed=Exists(failed))
        .order_by("released_at", "pk")
    )
    return {
        "ready": contracts_ready(),
        "pending": Disbursement.objects.filter(status__in=["prepared", "awaiting_second"])
        .select_related("prepared_by", "approved_by")
        .order_by("prepared_at", "pk"),
        "in_flight": [d for d in released if not d.has_failed],
        "failed": [d for d in released if d.has_failed],
        "funded": Disbursement.objects.filter(status="funded").order_by("-funded_at")[:20],
    }


def disbursement_detail(d: Disbursement) -> dict:
    instructions = list(d.instructions.order_by("seq"))
    attempts = PaymentAttempt.objects.filter(instruction__disbursement=d).order_by(
        "instruction_id", "attempt_no"
    )
    by_instruction: dict[int, list] = {}
    for a in attempts:
        by_instruction.setdefault(a.instruction_id, []).append(a)
    for i in instructions:
        i.attempt_list = by_instruction.get(i.pk, [])
    return {
        "d": d,
        "instructions": instructions,
        "total": sum(i.amount for i in instructions),
    }


def funding_board() -> list[dict]:
    """The 待放款 board: every signed contract not yet funded with what blocks it — origination's
    checklist items, open conditions and unregistered payees — and its disbursement (none,
    waiting for the checker, paying, a payment failed). `next` says the one thing to do now."""
    rows = contracts_awaiting_funding()
    disbursements = {
        d.contract_id: d
        for d in Disbursement.objects.filter(contract_id__in=[r["contract_id"] for r in rows])
    }
    failed = set(
        PaymentInstruction.objects.filter(
            disbursement__in=disbursements.values(), status=InstructionStatus.FAILED
        ).values_list("disbursement__contract_id", flat=True)
    )
    board = []
    for row in rows:
        d = disbursements.get(row["contract_id"])
        if d is not None and d.status == "funded":
            continue
        row["disbursement"] = d
        row["payment_failed"] = row["contract_id"] in failed
        blocked = row["checklist_pending"] or row["conditions_open"] or row["payees_unregistered"]
        if d is not None:
            row["next"] = "failed" if row["payment_failed"] else d.status
        else:
            row["next"] = "blocked" if blocked or not row["ready"] else "prepare"
        board.append(row)
    return board
