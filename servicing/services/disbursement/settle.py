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
from servicing.models.disbursement import Disbursement, PaymentAttempt, PaymentInstruction
from servicing.services.commissions.bank import PAYOUTS
from servicing.services.deposits.refund_bank import REFUNDS
from servicing.services.disbursement.fund import disbursement_fund_guarded
from servicing.services.disbursement.states import (
    FINAL,
    PAYABLE,
    DisbursementError,
    S,
    attempts_status_set,
    disbursement_lock,
)
from servicing.services.floorplan.bank import ADVANCES
from servicing.services.insurance.remittance import REMITTANCES
from servicing.services.ledger.posting import journal_post_many
from servicing.services.outgoing import outgoing_kind_for_key, outgoing_settle
from servicing.services.repossession.bank import PAYMENTS as REPOSSESSION_PAYMENTS

# --- the bank's answer: callbacks and status ----------------------------------------------------

log = logging.getLogger(__name__)
OUTGOING_KINDS = (PAYOUTS, REFUNDS, ADVANCES, REPOSSESSION_PAYMENTS, REMITTANCES)


def bank_callback_receive(*, payload: dict) -> dict:
    """The bank's asynchronous result for one key, or a batch's results ({"results": [...]}),
    already verified (the gateway's callback_verify checked its signature with the bank's
    secret). Idempotent: a second delivery changes nothing. Returns {"result": "recorded" |
    "duplicate" | "unknown_key", "status": ...} (a batch: {"results": [that, per key]})."""
    if isinstance(payload.get("results"), list):
        return _batch_callback_receive(payload["results"])
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
    after, changed = attempt_settle(attempt_id=attempt.pk, source="callback", **_answer(payload))
    return {"result": "recorded" if changed else "duplicate", "status": str(after)}


def _answer(payload: dict) -> dict:
    status = str(payload.get("status"))
    if status not in ("succeeded", "failed"):
        raise DisbursementError(_("银行回调状态无效。"), code="bad_status")
    return {
        "status": status,
        "bank_ref": str(payload.get("bank_ref", "")),
        "amount": to_decimal(payload.get("amount")),
        "reason": str(payload.get("reason", "")),
    }


def _batch_callback_receive(payloads: list) -> dict:
    """A batch's results: each release's payments settled in one transaction; a key that is
    not a disbursement payment's goes the single way. A release refused (a bad status or
    amount) changes nothing of its own and is raised after the others are recorded, so the
    bank delivers the callback again (what was recorded is then a duplicate)."""
    payloads = [p for p in payloads if isinstance(p, dict)]
    keys = [str(p.get("idempotency_key", "")) for p in payloads]
    found, disbursement_of = {}, {}
    for key, pk, d_id in PaymentAttempt.objects.filter(idempotency_key__in=keys).values_list(
        "idempotency_key", "pk", "instruction__disbursement_id"
    ):
        found[key], disbursement_of[pk] = pk, d_id
    replies: dict[str, dict] = {}
    by_release: dict[int, list[dict]] = {}
    for key, payload in zip(keys, payloads, strict=True):
        if key not in found:
            replies[key] = bank_callback_receive(payload=payload)
            continue
        answer = {"attempt_id": found[key], "key": key, "payload": payload}
        by_release.setdefault(disbursement_of[found[key]], []).append(answer)
    refused: DisbursementError | None = None
    for disbursement_id, answers in sorted(by_release.items()):
        try:
            settled = attempts_settle(
                disbursement_id=disbursement_id,
                answers={a["attempt_id"]: _answer(a["payload"]) for a in answers},
                source="callback",
            )
        except DisbursementError as exc:
            refused = refused or exc
            continue
        for a in answers:
            after, changed = settled[a["attempt_id"]]
            replies[a["key"]] = {
                "result": "recorded" if changed else "duplicate", "status": str(after)
            }  # fmt: skip
    if refused is not None:
        raise refused
    return {"results": [{"idempotency_key": k, **replies[k]} for k in dict.fromkeys(keys)]}


def attempt_settle(
    *,
    attempt_id: int,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[str, bool]:
    """Record a final bank result (succeeded / failed) for one attempt (`attempts_settle`).
    Returns (the attempt's status, whether this call changed it)."""
    d_id = PaymentInstruction.objects.values_list("disbursement_id", flat=True).get(
        attempts__pk=attempt_id
    )
    answer = {"status": status, "bank_ref": bank_ref, "amount": amount, "reason": reason}
    return attempts_settle(disbursement_id=d_id, answers={attempt_id: answer}, source=source)[
        attempt_id
    ]


def attempts_settle(
    *, disbursement_id: int, answers: dict[int, dict], source: str
) -> dict[int, tuple[str, bool]]:
    """Record the bank's final results (succeeded / failed) for attempts of ONE disbursement
    in one transaction, each once: the payments' ledger entries, and funding when the last
    instruction succeeded. `answers`: by attempt pk, {"status", "bank_ref", "amount",
    "reason"}. Locks: disbursement, its instructions by pk, the attempts by pk. Returns, by
    attempt pk, (its status, whether this call changed it). Raises DisbursementError (nothing
    recorded) if the bank's amount is not the attempt's."""
    with transaction.atomic():
        d, instructions = disbursement_lock(disbursement_id)
        attempts = list(
            PaymentAttempt.objects.filter(pk__in=answers, instruction__disbursement_id=d.pk)
            .order_by("pk")
            .select_for_update()
        )
        return attempts_settle_locked(d, instructions, attempts, answers, source=source)


def attempts_settle_locked(
    d: Disbursement, instructions: list[PaymentInstruction], attempts: list[PaymentAttempt],
    answers: dict[int, dict], *, source: str,
) -> dict[int, tuple[str, bool]]:  # fmt: skip
    """`attempts_settle` for a disbursement, its instructions and the attempts already locked."""
    by_pk = {i.pk: i for i in instructions}
    done: dict[int, tuple[str, bool]] = {}
    paid: list[tuple[PaymentInstruction, PaymentAttempt]] = []
    failed: list[tuple[PaymentInstruction, PaymentAttempt]] = []
    for attempt in attempts:
        answer = answers[attempt.pk]
        status = answer["status"]
        if attempt.status in FINAL:
            if attempt.status != status:
                log.error("bank says %s for %s, recorded %s", status, attempt, attempt.status)
            done[attempt.pk] = (attempt.status, False)
            continue
        amount = answer.get("amount")
        if amount is not None and quantize_fen(amount) != attempt.amount:
            raise DisbursementError(
                _("银行金额 %(bank)s 与付款金额 %(ours)s 不符。")
                % {"bank": amount, "ours": attempt.amount},
                code="amount_mismatch",
            )
        (paid if status == S.SUCCEEDED else failed).append((by_pk[attempt.instruction_id], attempt))
        done[attempt.pk] = (status, True)
    now = timezone.now()
    fields = {
        a.pk: {"finished_at": now, **({"bank_ref": ref[:64]} if (ref := answers[a.pk].get("bank_ref")) else {})}
        for _i, a in paid + failed
    }  # fmt: skip
    if paid:
        business_date = business_date_for_posting()
        entry_ids = journal_post_many(
            entries=[
                {
                    "business_date": business_date,
                    "source_type": SourceType.DISBURSEMENT,
                    "source_id": d.pk,
                    "lines": [
                        (PAYABLE[instruction.payee_kind], "D", attempt.amount),
                        (AccountCode.BANK_CLEARING, "C", attempt.amount),
                    ],
                    "idempotency_key": f"disb-pay:{attempt.idempotency_key}",
                    "description": memo(
                        "disbursement_payment", ref=d.contract_ref, payee=instruction.payee_name
                    ),
                }
                for instruction, attempt in paid
            ],
            actor=SYSTEM_ACTOR,
        )
        for (_i, attempt), entry_id in zip(paid, entry_ids, strict=True):
            fields[attempt.pk]["journal_entry_id"] = entry_id
        attempts_status_set(paid, S.SUCCEEDED, actor=f"bank:{source}", fields=fields)
    if failed:
        reasons = {a.pk: answers[a.pk].get("reason") or "" for _i, a in failed}
        for pk, reason in reasons.items():
            fields[pk]["error"] = reason[:255]
        attempts_status_set(
            failed, S.FAILED, actor=f"bank:{source}", reasons=reasons, fields=fields
        )
    if paid and all(i.status == S.SUCCEEDED for i in instructions):
        disbursement_fund_guarded(d, instructions, business_date=business_date)
    return done
