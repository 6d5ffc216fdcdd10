"""The states a disbursement and its payments go through, the payable account of each payee
kind, the error every step raises, and the locks and the state change the steps share (the
disbursement row, then its instructions by pk, then the attempt)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from autofin.audit import SYSTEM_ACTOR, audit_record
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
    instructions = list(
        PaymentInstruction.objects.filter(disbursement_id=d.pk).order_by("pk").select_for_update()
    )
    return d, instructions


# --- sending -----------------------------------------------------------------------------------


def attempt_lock(attempt_id: int) -> tuple[PaymentInstruction, PaymentAttempt]:
    instruction_id = PaymentAttempt.objects.values_list("instruction_id", flat=True).get(
        pk=attempt_id
    )
    instruction = PaymentInstruction.objects.select_for_update().get(pk=instruction_id)
    attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
    return instruction, attempt


def attempt_status_set(instruction: PaymentInstruction, attempt: PaymentAttempt, status: str, *,
                actor: Any, reason: str = "", **fields) -> None:  # fmt: skip
    old = attempt.status
    attempt.status = status
    for k, v in fields.items():
        setattr(attempt, k, v)
    attempt.save()
    instruction.status = status
    if status == S.FAILED:
        instruction.failure_reason = reason[:255]
    if status == S.SUCCEEDED:
        instruction.succeeded_at = timezone.now()
    instruction.save()
    audit_record(
        actor=actor,
        obj=instruction,
        action="payment_status",
        from_state=old,
        to_state=status,
        reason=reason,
        data={"key": attempt.idempotency_key, "bank_ref": attempt.bank_ref},
    )
