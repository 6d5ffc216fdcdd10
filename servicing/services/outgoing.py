"""The one engine that sends the lender's money out through the bank for a released document
(a commission payout, a deposit refund, a floor-plan advance), by the disbursement's rules:

* "sending" is committed before the bank is called, and no lock is held while it is called;
* a timeout leaves the fate unknown until the bank is asked by key; a payment the bank never
  saw is sent again under the SAME key (the bank dedupes on it);
* the bank's final answer is recorded once, under the document's row lock; on success the
  kind's own `paid` step posts its entry and records what it pays, in the same transaction.

Each document kind is an `OutgoingKind`: its model (with the fields every outgoing payment
carries: status, amount, idempotency_key, bank_status, sends, sent_at, bank_ref,
failure_reason, business_date, released_at and the encrypted account), the status it is in
while at the bank, the one it takes on failure, and its hooks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import decrypt
from autofin.money import quantize_fen
from servicing.gateway.interface import (
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models.outgoing import BankStatus

log = logging.getLogger(__name__)
B = BankStatus
RESENDABLE = (B.PENDING, B.SENDING, B.UNKNOWN)


@dataclass(frozen=True)
class OutgoingKind:
    name: str  # the audit action's prefix, e.g. "commission_payout"
    model: type[models.Model]
    released: str  # the document's status while the bank has it
    failed: str  # ... and once the bank refused it
    reference: Callable[[Any], str]  # what the payee's statement shows
    paid: Callable[[Any, dt.date], None]  # post and record the payment (the row is locked)
    error: type[Exception]  # raised with a Chinese message and a code
    failed_hook: Callable[[Any], None] | None = None


def _lock(kind: OutgoingKind, pk: int):
    return kind.model.objects.select_for_update().get(pk=pk)


def outgoing_release(doc, *, key: str) -> None:
    """Give a document its key and hand it to the bank's queue (the caller saves it and
    dispatches the send after commit)."""
    doc.idempotency_key = key
    doc.released_at = timezone.now()
    doc.business_date = business_date_for_posting()
    doc.bank_status = B.PENDING
    doc.bank_ref = ""
    doc.failure_reason = ""


def outgoing_send(kind: OutgoingKind, pk: int, *, gateway: PaymentGateway | None = None):
    """Send the document under its key (a task's body); safe to run twice. Returns the row."""
    gateway = gateway or payment_gateway()
    with transaction.atomic():
        doc = _lock(kind, pk)
        if doc.status != kind.released or doc.bank_status not in RESENDABLE:
            return doc
        doc.bank_status = B.SENDING
        doc.sends += 1
        doc.sent_at = timezone.now()
        doc.save(update_fields=["bank_status", "sends", "sent_at", "updated_at"])
        request = {
            "idempotency_key": doc.idempotency_key,
            "amount": doc.amount,
            "account_number": decrypt(doc.account_number_enc),
            "account_name": doc.account_name,
            "bank_name": doc.bank_name,
            "reference": kind.reference(doc),
            "requested_date": doc.business_date,
        }
    # "sending" is committed; no lock is held while the bank is called.
    try:
        result = gateway.send(**request)
    except GatewayTimeout as exc:
        return _record(kind, pk, B.UNKNOWN, error=str(exc))
    except GatewayRejected as exc:
        key = request["idempotency_key"]
        return outgoing_settle(kind, key=key, status=B.FAILED, reason=str(exc), source="send")[0]
    return _record(kind, pk, B.SENT, bank_ref=result.bank_ref)


def _record(kind: OutgoingKind, pk: int, bank_status: str, *, bank_ref: str = "", error: str = ""):
    """What the bank answered to a send; never moves a settled document back."""
    with transaction.atomic():
        doc = _lock(kind, pk)
        if doc.status != kind.released or doc.bank_status not in RESENDABLE:
            return doc  # a callback got here first
        doc.bank_status = bank_status
        doc.bank_ref = bank_ref[:64] or doc.bank_ref
        doc.failure_reason = error[:255]
        doc.save(update_fields=["bank_status", "bank_ref", "failure_reason", "updated_at"])
        return doc


def outgoing_kind_for_key(key: str, kinds: tuple[OutgoingKind, ...]) -> OutgoingKind | None:
    """The kind whose document holds this key (the bank's callback names only the key)."""
    for kind in kinds:
        if key and kind.model.objects.filter(idempotency_key=key).exists():
            return kind
    return None


def outgoing_settle(
    kind: OutgoingKind,
    *,
    key: str,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[Any, bool]:
    """The bank's final answer for a key (callback, status query or refused send), recorded
    once. Returns (the document, whether this call changed it)."""
    if status not in (B.SUCCEEDED, B.FAILED):
        raise kind.error(_("银行回调状态无效。"), code="bad_status")
    with transaction.atomic():
        pk = kind.model.objects.values_list("pk", flat=True).get(idempotency_key=key)
        doc = _lock(kind, pk)
        if doc.idempotency_key != key or doc.status != kind.released:
            if doc.bank_status != status:
                log.error("bank says %s for %s, recorded %s", status, key, doc.bank_status)
            return doc, False
        if amount is not None and quantize_fen(amount) != doc.amount:
            raise kind.error(
                _("银行金额 %(bank)s 与付款金额 %(ours)s 不符。")
                % {"bank": amount, "ours": doc.amount},
                code="amount_mismatch",
            )
        doc.bank_ref = (bank_ref or doc.bank_ref or key)[:64]
        if status == B.SUCCEEDED:
            doc.bank_status = B.SUCCEEDED
            kind.paid(doc, business_date_for_posting())
        else:
            doc.bank_status = B.FAILED
            doc.status = kind.failed
            doc.failure_reason = reason[:255]
            doc.save()
            if kind.failed_hook is not None:
                kind.failed_hook(doc)
        audit_record(
            actor=f"bank:{source}",
            obj=doc,
            action=f"{kind.name}_settle",
            from_state=kind.released,
            to_state=doc.status,
            reason=reason,
            data={"key": key, "bank_ref": doc.bank_ref},
        )
        return doc, True


def outgoing_recover(kind: OutgoingKind, pk: int, *, gateway: PaymentGateway | None = None):
    """Settle a document whose fate we do not know: ask the bank by key; if it never saw it,
    send again under the same key. Returns the row."""
    gateway = gateway or payment_gateway()
    doc = kind.model.objects.get(pk=pk)
    if doc.status != kind.released:
        return doc
    if doc.bank_status == B.PENDING:
        return outgoing_send(kind, pk, gateway=gateway)
    answer = gateway.status(idempotency_key=doc.idempotency_key)
    if answer.status in (B.SUCCEEDED, B.FAILED):
        return outgoing_settle(
            kind,
            key=doc.idempotency_key,
            status=answer.status,
            bank_ref=answer.bank_ref,
            amount=answer.amount,
            reason=answer.reason,
            source="status",
        )[0]
    if answer.status == "not_found":
        # The bank never saw it (even one it had "accepted"): the same key goes again.
        kind.model.objects.filter(pk=pk, status=kind.released, bank_status=B.SENT).update(
            bank_status=B.UNKNOWN
        )
        return outgoing_send(kind, pk, gateway=gateway)
    return doc


def outgoing_to_recover(kind: OutgoingKind, *, older_than: dt.timedelta) -> list[int]:
    """Released documents whose answer is overdue (the periodic recovery's work list)."""
    cutoff = timezone.now() - older_than
    return list(
        kind.model.objects.filter(status=kind.released)
        .filter(
            Q(bank_status__in=[B.SENDING, B.UNKNOWN, B.SENT], sent_at__lt=cutoff)
            | Q(bank_status=B.PENDING, released_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
