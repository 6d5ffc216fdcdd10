"""Daily reconciliation (对账) of the bank's statement file against our payment attempts and
dealer commission payouts (both paid through the same bank under idempotency keys).

The statement (CSV: value_date, bank_ref, idempotency_key, account_last4, amount, status,
reason) lists what the bank did on a date. Our side: the attempts and the payouts' current keys
of that business date that reached the bank or may have (sending, sent, unknown, succeeded,
failed). Matched by
idempotency key; each difference is one line of the run:

* missing_at_bank   we recorded a payment (succeeded, or failed after a send) the bank does not list;
* missing_in_books  the bank lists a key we have no attempt for (or not for this date);
* amount_differs    same key, different amount;
* status_differs    same key, the bank's final status differs from ours (e.g. bank succeeded,
                    we still show sent / unknown, or failed).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from autofin.audit import audit_record
from autofin.money import to_decimal
from servicing.gateway.interface import payment_gateway
from servicing.models.commission_payouts import CommissionPayout
from servicing.models.disbursement import (
    InstructionStatus,
    MismatchKind,
    PaymentAttempt,
    ReconciliationLine,
    ReconciliationRun,
)

S = InstructionStatus
BOOK_STATUSES = [S.SENDING, S.SENT, S.UNKNOWN, S.SUCCEEDED, S.FAILED]


@dataclass(frozen=True)
class Booked:
    """One payment as our books have it: an attempt, or a payout's current key."""

    idempotency_key: str
    amount: Decimal
    status: str
    bank_ref: str
    attempt: PaymentAttempt | None = None


def _booked(statement_date: dt.date) -> dict[str, Booked]:
    booked = {
        a.idempotency_key: Booked(a.idempotency_key, a.amount, a.status, a.bank_ref, a)
        for a in PaymentAttempt.objects.filter(
            business_date=statement_date, status__in=BOOK_STATUSES
        )
    }
    for key, amount, status, bank_ref in CommissionPayout.objects.filter(
        business_date=statement_date, bank_status__in=BOOK_STATUSES
    ).values_list("idempotency_key", "amount", "bank_status", "bank_ref"):
        booked[key] = Booked(key, amount, status, bank_ref)
    return booked


def statement_read(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def reconciliation_run(
    *, statement_date: dt.date, actor: Any, path: Path | str | None = None
) -> ReconciliationRun:
    """Reconcile one date. Without `path`, the gateway writes (fetches) the day's statement."""
    if path is None:
        path = payment_gateway().statement_write(statement_date=statement_date)
    bank = {row["idempotency_key"]: row for row in statement_read(Path(path))}
    attempts = _booked(statement_date)
    lines: list[ReconciliationLine] = []
    matched = 0
    for key, a in attempts.items():
        row = bank.get(key)
        if row is None:
            if a.status in (S.SUCCEEDED, S.SENT) or (a.status == S.FAILED and a.bank_ref):
                lines.append(_line(MismatchKind.MISSING_AT_BANK, a, None))
            else:
                matched += 1  # sending/unknown the bank never saw: nothing paid, nothing owed
            continue
        amount = to_decimal(row["amount"])
        if amount != a.amount:
            lines.append(_line(MismatchKind.AMOUNT_DIFFERS, a, row))
        elif row["status"] != a.status:
            lines.append(_line(MismatchKind.STATUS_DIFFERS, a, row))
        else:
            matched += 1
    known = set(
        PaymentAttempt.objects.filter(idempotency_key__in=list(bank)).values_list(
            "idempotency_key", flat=True
        )
    ) | set(
        CommissionPayout.objects.filter(idempotency_key__in=list(bank)).values_list(
            "idempotency_key", flat=True
        )
    )
    for key, row in bank.items():
        if key not in attempts:
            line = _line(MismatchKind.MISSING_IN_BOOKS, None, row)
            if key in known:  # ours, but booked on another date
                line.attempt = PaymentAttempt.objects.filter(idempotency_key=key).first()
            lines.append(line)
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            statement_date=statement_date,
            statement_file=str(path)[:255],
            bank_lines=len(bank),
            book_lines=len(attempts),
            matched=matched,
            mismatches=len(lines),
            created_by_label=(
                actor.get_username() if hasattr(actor, "get_username") else str(actor)
            )[:150],
        )
        for line in lines:
            line.run = run
        ReconciliationLine.objects.bulk_create(lines)
        audit_record(
            actor=actor,
            obj=run,
            action="reconciliation_run",
            to_state="done",
            data={"matched": matched, "mismatches": len(lines), "file": str(path)},
        )
    return run


def _line(kind: str, attempt: Booked | None, row: dict | None) -> ReconciliationLine:
    return ReconciliationLine(
        kind=kind,
        idempotency_key=(attempt.idempotency_key if attempt else row["idempotency_key"]),
        bank_ref=(row or {}).get("bank_ref", "") or (attempt.bank_ref if attempt else ""),
        attempt=attempt.attempt if attempt else None,
        book_amount=attempt.amount if attempt else None,
        bank_amount=Decimal(row["amount"]) if row else None,
        book_status=attempt.status if attempt else "",
        bank_status=(row or {}).get("status", ""),
    )
