"""The bank's answer about a payment (callback, status or a refused send): the attempt and its
instruction settled once, the payment's ledger entry, and funding when the last one succeeds."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from autofin.business_date import business_date_for_posting
from autofin.money import quantize_fen, to_decimal
from servicing.memos import memo
from servicing.models import AccountCode, SourceType
from servicing.models.disbursement import PaymentAttempt, PaymentInstruction
from servicing.services.commissions.bank import PAYOUTS
from servicing.services.deposits.refund_bank import REFUNDS
from servicing.services.disbursement.fund import disbursement_fund_guarded
from servicing.services.disbursement.states import (
    FINAL,
    PAYABLE,
    DisbursementError,
    S,
    attempt_status_set,
    disbursement_lock,
)
from servicing.services.floorplan.bank import ADVANCES
from servicing.services.insurance.remittance import REMITTANCES
from servicing.services.ledger.posting import journal_post
from servicing.services.outgoing import outgoing_kind_for_key, outgoing_settle
from servicing.services.repossession.bank import PAYMENTS as REPOSSESSION_PAYMENTS

# --- the bank's answer: callbacks and status ----------------------------------------------------

log = logging.getLogger(__name__)
OUTGOING_KINDS = (PAYOUTS, REFUNDS, ADVANCES, REPOSSESSION_PAYMENTS, REMITTANCES)


def bank_callback_receive(*, payload: dict) -> dict:
    """The bank's asynchronous result for one key, already verified (the gateway's
    callback_verify checked its signature with the bank's secret). Idempotent: a second
    delivery changes nothing. Returns {"result": "recorded" | "duplicate" | "unknown_key",
    "status": ...}."""
    key = str(payload.get("idempotency_key", ""))
    attempt = PaymentAttempt.objects.filter(idempotency_key=key).only("pk", "status").first()
    kind = None if attempt is not None else outgoing_kind_for_key(key, OUTGOING_KINDS)
    if kind is not None:
        # The same bank and callback endpoint pay dealers their commission, their deposit back
        # and floor-plan advances to the OEM or the dealer.
        doc, changed = outgoing_settle(
            kind,
            key=key,
            status=str(payload.get("status")),
            bank_ref=str(payload.get("bank_ref", "")),
            amount=to_decimal(payload.get("amount")),
            reason=str(payload.get("reason", "")),
            source="callback",
        )
        return {"result": "recorded" if changed else "duplicate", "status": str(doc.status)}
    if attempt is None:
        log.warning("bank callback for unknown key %s", key)
        return {"result": "unknown_key", "status": None}
    status = str(payload.get("status"))
    if status not in ("succeeded", "failed"):
        raise DisbursementError(_("银行回调状态无效。"), code="bad_status")
    after, changed = attempt_settle(
        attempt_id=attempt.pk,
        status=status,
        bank_ref=str(payload.get("bank_ref", "")),
        amount=to_decimal(payload.get("amount")),
        reason=str(payload.get("reason", "")),
        source="callback",
    )
    return {"result": "recorded" if changed else "duplicate", "status": str(after)}


def attempt_settle(
    *,
    attempt_id: int,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[str, bool]:
    """Record a final bank result (succeeded / failed) once; post the payment; fund when the
    last instruction succeeded. Locks: disbursement, its instructions by pk, the attempt.
    Returns (the attempt's status, whether this call changed it)."""
    with transaction.atomic():
        d_id = PaymentInstruction.objects.values_list("disbursement_id", flat=True).get(
            attempts__pk=attempt_id
        )
        d, instructions = disbursement_lock(d_id)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        instruction = next(i for i in instructions if i.pk == attempt.instruction_id)
        if attempt.status in FINAL:
            if attempt.status != status:
                log.error("bank says %s for %s, recorded %s", status, attempt, attempt.status)
            return attempt.status, False
        if amount is not None and quantize_fen(amount) != attempt.amount:
            raise DisbursementError(
                _("银行金额 %(bank)s 与付款金额 %(ours)s 不符。")
                % {"bank": amount, "ours": attempt.amount},
                code="amount_mismatch",
            )
        fields = {"finished_at": timezone.now()}
        if bank_ref:
            fields["bank_ref"] = bank_ref[:64]
        if status == S.SUCCEEDED:
            entry = journal_post(
                business_date=business_date_for_posting(),
                source_type=SourceType.DISBURSEMENT,
                source_id=d.pk,
                lines=[
                    (PAYABLE[instruction.payee_kind], "D", attempt.amount),
                    (AccountCode.BANK_CLEARING, "C", attempt.amount),
                ],
                idempotency_key=f"disb-pay:{attempt.idempotency_key}",
                description=memo(
                    "disbursement_payment", ref=d.contract_ref, payee=instruction.payee_name
                ),
                actor=SYSTEM_ACTOR,
            )
            fields["journal_entry_id"] = entry.pk
            attempt_status_set(instruction, attempt, S.SUCCEEDED, actor=f"bank:{source}", **fields)
            if all(i.status == S.SUCCEEDED for i in instructions):
                disbursement_fund_guarded(d, instructions)
        else:
            fields["error"] = reason[:255]
            attempt_status_set(
                instruction, attempt, S.FAILED, actor=f"bank:{source}", reason=reason, **fields
            )
        return attempt.status, True
