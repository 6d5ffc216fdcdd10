"""Sending a release's payment attempts to the bank in one call (no lock held while the bank is
called), recording its answers together, and recovering attempts whose fate is unknown by asking
the bank by key."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from autofin.audit import SYSTEM_ACTOR
from autofin.bulk import rows_update
from autofin.crypto import decrypt
from autofin.scheduling import task_named
from servicing.gateway.interface import (
    BankResult,
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models.disbursement import PaymentAttempt, PaymentInstruction
from servicing.services.disbursement.settle import attempt_settle, attempts_settle_locked
from servicing.services.disbursement.states import (
    FINAL,
    S,
    attempts_status_set,
    disbursement_lock,
    instructions_lock,
)

RESENDABLE = (S.PENDING, S.SENDING, S.UNKNOWN)


def attempt_send(*, attempt_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send one attempt to the bank under its key (a retry's task, the recovery). Safe to run
    twice or after a crash: a resend under the same key is deduped by the bank."""
    return attempts_send(attempt_ids=[attempt_id], gateway=gateway)[attempt_id]


def attempts_send(
    *, attempt_ids: list[int], gateway: PaymentGateway | None = None
) -> dict[int, str]:
    """Send a release's attempts to the bank (the Celery task's body): one `send_batch` call
    per disbursement (`send` for a single attempt), each payment under its own key. Safe to
    run twice or after a crash: a resend under the same key is deduped by the bank. Returns
    each attempt's status by pk."""
    gateway = gateway or payment_gateway()
    out, batches = _attempts_mark_sending(attempt_ids)
    # "sending" is committed; no lock is held while the bank is called.
    for d_id, live, requests in batches:
        answers = _bank_send(gateway, requests)
        out.update(
            attempts_record_send(
                disbursement_id=d_id,
                answers={a.pk: answer for a, answer in zip(live, answers, strict=True)},
            )
        )
    return out


def _attempts_mark_sending(
    attempt_ids: list[int],
) -> tuple[dict[int, str], list[tuple[int, list[PaymentAttempt], list[dict]]]]:
    """In one transaction: lock the attempts' instructions by pk, then the attempts by pk (the
    order every step locks in), move the resendable ones to "sending" (a sends count and
    sent_at each). Returns every attempt's status by pk and, per disbursement, its live
    attempts and their bank requests."""
    with transaction.atomic():
        instructions = {
            i.pk: i
            for i in PaymentInstruction.objects.filter(attempts__pk__in=attempt_ids)
            .order_by("pk")
            .select_for_update()
        }
        attempts = list(
            PaymentAttempt.objects.filter(pk__in=attempt_ids).order_by("pk").select_for_update()
        )
        out = {a.pk: a.status for a in attempts}
        live = [a for a in attempts if a.status in RESENDABLE]
        if not live:
            return out, []
        now = timezone.now()
        for attempt in live:
            attempt.sends += 1
            attempt.sent_at = now
        pending = [a for a in live if a.status == S.PENDING]
        resent = [a for a in live if a.status != S.PENDING]
        attempts_status_set(
            [(instructions[a.instruction_id], a) for a in pending],
            S.SENDING,
            actor=SYSTEM_ACTOR,
            fields={a.pk: {"sends": a.sends, "sent_at": now} for a in pending},
        )
        if resent:
            rows_update(resent, ["sends", "sent_at"])
        by_release: dict[int, list[PaymentAttempt]] = {}
        for a in live:
            by_release.setdefault(instructions[a.instruction_id].disbursement_id, []).append(a)
        batches = []
        for d_id, release in sorted(by_release.items()):
            requests = []
            for a in release:
                instruction = instructions[a.instruction_id]
                requests.append(
                    {
                        "idempotency_key": a.idempotency_key,
                        "amount": a.amount,
                        "account_number": decrypt(a.account_number_enc),
                        "account_name": a.account_name,
                        "bank_name": a.bank_name,
                        "reference": f"{d_id}/{instruction.seq} {instruction.payee_name}",
                        "requested_date": a.business_date,
                    }
                )
            batches.append((d_id, release, requests))
        return out, batches


def _bank_send(gateway: PaymentGateway, requests: list[dict]) -> list[BankResult]:
    """The bank's answer for each request: accepted, rejected or unknown."""
    try:
        if len(requests) == 1:
            return [gateway.send(**requests[0])]
        return gateway.send_batch(payments=requests)
    except GatewayTimeout as exc:
        return [BankResult(r["idempotency_key"], "unknown", reason=str(exc)) for r in requests]
    except GatewayRejected as exc:
        return [BankResult(r["idempotency_key"], "rejected", reason=str(exc)) for r in requests]


def attempts_record_send(*, disbursement_id: int, answers: dict[int, BankResult]) -> dict[int, str]:
    """Record what the bank answered to the sends of a disbursement's attempts, in one
    transaction: accepted → sent, no answer → unknown (rechecked by key), rejected → failed.
    Never moves a settled attempt back. The disbursement row is locked only when the bank
    refused a payment (settling it may fund); sent and unknown need the instructions' locks
    alone, as marking them "sending" did."""
    refused = any(answer.status == "rejected" for answer in answers.values())
    with transaction.atomic():
        if refused:
            d, instructions = disbursement_lock(disbursement_id)
        else:
            d, instructions = None, instructions_lock(disbursement_id)
        by_pk = {i.pk: i for i in instructions}
        attempts = list(
            PaymentAttempt.objects.filter(pk__in=answers).order_by("pk").select_for_update()
        )
        out = {a.pk: a.status for a in attempts}
        open_ = [a for a in attempts if a.status in (S.SENDING, S.UNKNOWN, S.PENDING)]
        rejected = {
            a.pk: {"status": S.FAILED, "reason": answers[a.pk].reason[:255]}
            for a in open_
            if answers[a.pk].status == "rejected"
        }
        accepted = [a for a in open_ if answers[a.pk].status == "accepted"]
        unknown = [a for a in open_ if a.pk not in rejected and a not in accepted]
        attempts_status_set(
            [(by_pk[a.instruction_id], a) for a in accepted],
            S.SENT,
            actor=SYSTEM_ACTOR,
            fields={a.pk: {"bank_ref": answers[a.pk].bank_ref, "error": ""} for a in accepted},
        )
        # an unknown attempt asked about again stays unknown: no change, nothing written
        unknown_changed = [a for a in unknown if a.status != S.UNKNOWN]
        attempts_status_set(
            [(by_pk[a.instruction_id], a) for a in unknown_changed],
            S.UNKNOWN,
            actor=SYSTEM_ACTOR,
            fields={a.pk: {"error": answers[a.pk].reason[:255]} for a in unknown_changed},
        )
        for attempt in unknown:
            _recheck_after_commit(attempt.pk)
        if rejected:
            attempts_settle_locked(
                d, instructions, [a for a in open_ if a.pk in rejected], rejected, source="send"
            )
        return {**out, **{a.pk: a.status for a in open_}}


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
