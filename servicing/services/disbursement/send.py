"""Sending a payment attempt to the bank (no lock held while the bank is called), recording the
answer, and recovering attempts whose fate is unknown by asking the bank by key."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from autofin.audit import SYSTEM_ACTOR
from autofin.crypto import decrypt
from autofin.scheduling import task_named
from servicing.gateway.interface import (
    BankResult,
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models.disbursement import PaymentAttempt
from servicing.services.disbursement.settle import attempt_settle
from servicing.services.disbursement.states import FINAL, S, attempt_lock, attempt_status_set


def attempt_send(*, attempt_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send one attempt to the bank under its key (the Celery task's body). Safe to run twice
    or after a crash: a resend under the same key is deduped by the bank."""
    gateway = gateway or payment_gateway()
    with transaction.atomic():
        instruction, attempt = attempt_lock(attempt_id)
        if attempt.status not in (S.PENDING, S.SENDING, S.UNKNOWN):
            return attempt.status
        if attempt.status == S.PENDING:
            attempt_status_set(instruction, attempt, S.SENDING, actor=SYSTEM_ACTOR)
        attempt.sends += 1
        attempt.sent_at = timezone.now()
        attempt.save(update_fields=["sends", "sent_at"])
        request = {
            "idempotency_key": attempt.idempotency_key,
            "amount": attempt.amount,
            "account_number": decrypt(attempt.account_number_enc),
            "account_name": attempt.account_name,
            "bank_name": attempt.bank_name,
            "reference": f"{instruction.disbursement_id}/{instruction.seq} {instruction.payee_name}",
            "requested_date": attempt.business_date,
        }
    # "sending" is committed; no lock is held while the bank is called.
    try:
        result = gateway.send(**request)
    except GatewayTimeout as exc:
        return attempt_record_send(attempt_id=attempt_id, outcome="timeout", error=str(exc))
    except GatewayRejected as exc:
        return attempt_record_send(attempt_id=attempt_id, outcome="rejected", error=str(exc))
    return attempt_record_send(attempt_id=attempt_id, outcome="accepted", result=result)


def attempt_record_send(
    *, attempt_id: int, outcome: str, result: BankResult | None = None, error: str = ""
) -> str:
    """Record what the bank answered to a send. Never moves a settled attempt back."""
    if outcome == "rejected":
        return attempt_settle(
            attempt_id=attempt_id, status=S.FAILED, reason=error[:255], source="send"
        )[0]
    with transaction.atomic():
        instruction, attempt = attempt_lock(attempt_id)
        if attempt.status not in (S.SENDING, S.UNKNOWN, S.PENDING):
            return attempt.status  # a callback got here first, or already recorded
        if outcome == "accepted":
            attempt_status_set(
                instruction, attempt, S.SENT, actor=SYSTEM_ACTOR, bank_ref=result.bank_ref, error=""
            )
        else:
            attempt_status_set(
                instruction, attempt, S.UNKNOWN, actor=SYSTEM_ACTOR, error=error[:255]
            )
            _recheck_after_commit(attempt_id)
        return attempt.status


def _recheck_after_commit(attempt_id: int) -> None:
    """A timed-out send is asked about by key a few seconds later (the bank may have paid it):
    waiting for the recovery sweep's cut-off would hold the whole disbursement back for
    minutes. Only with Celery dispatch: "manual" and "eager" leave it to the sweep."""
    delay = settings.DISBURSEMENT_TIMEOUT_RECHECK_SECONDS
    if settings.DISBURSEMENT_DISPATCH != "celery" or delay <= 0:
        return
    task = task_named("servicing.tasks.disbursement.disbursement_attempt_recover")
    transaction.on_commit(lambda: task.apply_async(args=[attempt_id], countdown=delay))


def attempt_recover(*, attempt_id: int, gateway: PaymentGateway | None = None) -> str:
    """Settle an attempt whose fate we do not know (sending after a crash, unknown after a
    timeout, sent without a callback): ask the bank by key first; if the bank never saw it,
    send again under the SAME key."""
    gateway = gateway or payment_gateway()
    attempt = PaymentAttempt.objects.get(pk=attempt_id)
    if attempt.status in FINAL:
        return attempt.status
    if attempt.status == S.PENDING:
        return attempt_send(attempt_id=attempt_id, gateway=gateway)
    answer = gateway.status(idempotency_key=attempt.idempotency_key)
    PaymentAttempt.objects.filter(pk=attempt_id).update(status_queries=attempt.status_queries + 1)
    if answer.status in ("succeeded", "failed"):
        return attempt_settle(
            attempt_id=attempt_id,
            status=answer.status,
            bank_ref=answer.bank_ref,
            amount=answer.amount,
            reason=answer.reason,
            source="status",
        )[0]
    if answer.status == "not_found":
        return attempt_send(attempt_id=attempt_id, gateway=gateway)
    return attempt.status


def attempts_to_recover(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        PaymentAttempt.objects.filter(
            Q(status__in=[S.SENDING, S.UNKNOWN, S.SENT], sent_at__lt=cutoff)
            | Q(status=S.PENDING, created_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
