"""The states a disbursement and its payments go through, the payable account of each payee
kind, the error every step raises, and the locks and the state change the steps share (the
disbursement row, then its instructions by pk, then the attempt)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from autofin.audit import SYSTEM_ACTOR, audit_entry_build
from autofin.bulk import rows_update
from autofin.models import AuditEntry
from servicing.models import AccountCode
from servicing.models.disbursement import (
    Disbursement,
    DisbursementStatus,
    InstructionStatus,
    PayeeKind,
    PaymentAttempt,
    PaymentInstruction,
)

S = InstructionStatus
DS = DisbursementStatus
FINAL = (S.SUCCEEDED, S.FAILED)

PAYABLE = {
    PayeeKind.DEALER: AccountCode.DEALER_PAYABLE,
    PayeeKind.INSURER: AccountCode.INSURER_PAYABLE,
    PayeeKind.TAX: AccountCode.TAX_PAYABLE,
    PayeeKind.WARRANTY: AccountCode.WARRANTY_PAYABLE,
    PayeeKind.ACCESSORY: AccountCode.ACCESSORY_PAYABLE,
    PayeeKind.GPS: AccountCode.GPS_PAYABLE,
    PayeeKind.LENDER: AccountCode.FEE_INCOME,
    PayeeKind.CUSTOMER: AccountCode.CUSTOMER_PAYABLE,
    PayeeKind.SERVICE_CENTRE: AccountCode.SERVICE_CENTRE_PAYABLE,
}


class DisbursementError(Exception):
    """A disbursement operation refused (nothing written); `field` names a form field."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def actor_label(actor: Any) -> str:
    if getattr(actor, "pk", None) and hasattr(actor, "get_username"):
        return actor.get_username()[:150]
    return str(actor or SYSTEM_ACTOR)[:150]


# --- approve and release (checker) -------------------------------------------------------------


def disbursement_lock(disbursement_id: int) -> tuple[Disbursement, list[PaymentInstruction]]:
    d = Disbursement.objects.select_for_update().get(pk=disbursement_id)
    return d, instructions_lock(d.pk)


def instructions_lock(disbursement_id: int) -> list[PaymentInstruction]:
    """The disbursement's instructions locked by pk, without its row: for a step that moves
    payments between the states before a final answer (sending, sent, unknown), which never
    funds and so never needs the disbursement."""
    return list(
        PaymentInstruction.objects.filter(disbursement_id=disbursement_id)
        .order_by("pk")
        .select_for_update()
    )


# --- sending and settling ---------------------------------------------------------------------


def attempts_status_set(
    changes: list[tuple[PaymentInstruction, PaymentAttempt]], status: str, *, actor: Any,
    reasons: dict[int, str] | None = None, fields: dict[int, dict] | None = None,
) -> None:  # fmt: skip
    """Move locked attempts (and their instructions) to `status`, each change audited once:
    one UPDATE of the attempts, one of the instructions and one INSERT of the audit rows for
    all of them (`reasons` and `fields` by attempt pk)."""
    if not changes:
        return
    now = timezone.now()
    attempt_fields = {"status"}
    instruction_fields = {"status", "updated_at"}
    audits = []
    for instruction, attempt in changes:
        old, reason = attempt.status, (reasons or {}).get(attempt.pk, "")
        attempt.status = status
        for k, v in (fields or {}).get(attempt.pk, {}).items():
            setattr(attempt, k, v)
            attempt_fields.add(k)
        instruction.status = status
        instruction.updated_at = now
        if status == S.FAILED:
            instruction.failure_reason = reason[:255]
            instruction_fields.add("failure_reason")
        if status == S.SUCCEEDED:
            instruction.succeeded_at = now
            instruction_fields.add("succeeded_at")
        audits.append(
            audit_entry_build(
                actor=actor,
                obj=instruction,
                action="payment_status",
                from_state=old,
                to_state=status,
                reason=reason,
                data={"key": attempt.idempotency_key, "bank_ref": attempt.bank_ref},
            )
        )
    rows_update([a for _i, a in changes], sorted(attempt_fields))
    rows_update([i for i, _a in changes], sorted(instruction_fields))
    AuditEntry.objects.bulk_create(audits)
