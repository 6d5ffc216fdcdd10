"""Sending records to the credit reference center and acting on its feedback.

`records_submit` sends the pending records of accounts that are not frozen by an open dispute
(异议), oldest month first (the center checks each month's 24-month string against the month
before), in files of `FILE_SIZE`, and writes each answer back set-based. `record_correct`
makes a rejected (or disputed) record's correction: a new row that `corrects` it, never an
edit, so the history stays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import encrypt
from origination.validators import validate_id_number
from servicing.models.credit_reporting import (
    CreditReportBatch,
    CreditReportDispute,
    CreditReportRecord,
    CreditReportStatus,
    DisputeStatus,
)
from servicing.services.credit_reporting.adapters import credit_reporting_adapter
from servicing.services.credit_reporting.generate import month_start

FILE_SIZE = 1000
# what a correction may change: the identity the center could not match, and (answering a
# dispute) the month's performance
CORRECTABLE = ("name", "id_number", "overdue_periods", "overdue_amount", "status_char")


class CreditReportingRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def batch_for(*, kind: str, business_date: dt.date) -> CreditReportBatch:
    batch, _created = CreditReportBatch.objects.get_or_create(
        kind=kind, business_date=business_date, defaults={"month": month_start(business_date)}
    )
    return batch


def frozen(loan_id: int) -> bool:
    return CreditReportDispute.objects.filter(loan_id=loan_id, status=DisputeStatus.OPEN).exists()


def record_payload(r: CreditReportRecord) -> dict[str, Any]:
    """One record in the layout of docs/credit-reporting.md (amounts as two-decimal strings)."""
    event = {"type": r.event, "date": r.report_date.isoformat()} if r.event else None
    return {
        "record_id": str(r.pk),
        "record_type": r.kind,
        "correction_of": str(r.corrects_id) if r.corrects_id else None,
        "report_date": r.report_date.isoformat(),
        "account": {
            "account_id": r.account_id,
            "account_type": "D1",
            "business_type": r.business_type,
            "open_date": r.open_date.isoformat(),
            "due_date": r.due_date.isoformat(),
            "amount": f"{r.amount:.2f}",
            "currency": r.currency,
            "term": r.term_months,
            "repayment_method": r.repayment_method,
            "guarantee_type": r.guarantee_type,
        },
        "borrower": {
            "name": r.name,
            "id_type": r.id_type,
            "id_number_encrypted": r.id_number_enc,
        },
        "performance": {
            "month": r.month.strftime("%Y-%m"),
            "balance": f"{r.balance:.2f}",
            "amount_due": f"{r.amount_due:.2f}",
            "amount_paid": f"{r.amount_paid:.2f}",
            "overdue_periods": r.overdue_periods,
            "overdue_amount": f"{r.overdue_amount:.2f}",
            "five_category": r.five_category,
            "status": r.status_char,
            "status_24m": r.status_24m,
        },
        "related": r.related,
        "event": event,
        "collateral": r.collateral or None,
    }


def _answers_write(answers: list[dict[str, Any]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE servicing_creditreportrecord c
               SET status = a.result, feedback_code = a.code, feedback_message = a.message,
                   submitted_at = %s
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                   AS a(id, result, code, message)
             WHERE c.id = a.id AND c.status = 'pending'
            """,
            [
                timezone.now(),
                [int(a["record_id"]) for a in answers],
                [a["result"] for a in answers],
                [str(a.get("code") or "")[:10] for a in answers],
                [str(a.get("message") or "")[:255] for a in answers],
            ],
        )


def records_submit() -> dict[str, int]:
    """Send every pending record of an unfrozen account; returns the counts answered."""
    open_dispute = CreditReportDispute.objects.filter(
        loan_id=OuterRef("loan_id"), status=DisputeStatus.OPEN
    )
    pending = (
        CreditReportRecord.objects.filter(status=CreditReportStatus.PENDING)
        .exclude(Exists(open_dispute))
        .order_by("month", "report_date", "id")
    )
    adapter = credit_reporting_adapter()
    counts = {"accepted": 0, "rejected": 0}
    # answered records leave `pending`, so the head of the queue is always the next file
    while chunk := list(pending[:FILE_SIZE]):
        answers = adapter.submit(records=[record_payload(r) for r in chunk])
        _answers_write(answers)
        for a in answers:
            counts[a["result"]] += 1
    return counts


def _corrected_copy(
    original: CreditReportRecord, changes: dict[str, Any], actor: Any
) -> CreditReportRecord:
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise CreditReportingRefused(
            _("这些字段不能更正：%(f)s。") % {"f": "、".join(sorted(unknown))}
        )
    fix = CreditReportRecord.objects.get(pk=original.pk)
    fix.pk = None
    fix.corrects = original
    fix.status = CreditReportStatus.PENDING
    fix.submitted_at = None
    fix.feedback_code = fix.feedback_message = ""
    fix.corrected_by = actor
    if "name" in changes:
        fix.name = str(changes["name"]).strip()
    if "id_number" in changes:
        fix.id_number_enc = encrypt(validate_id_number(changes["id_number"]))
    if "status_char" in changes:
        fix.status_char = str(changes["status_char"])
        fix.status_24m = fix.status_24m[:-1] + fix.status_char
    for field in ("overdue_periods", "overdue_amount"):
        if field in changes:
            setattr(fix, field, changes[field])
    fix.save(force_insert=True)
    original.status = CreditReportStatus.CORRECTED
    original.save(update_fields=["status"])
    audit_record(
        actor=actor,
        obj=fix,
        action="credit_record_correct",
        from_state=str(original.pk),
        to_state=CreditReportStatus.PENDING,
        data={"fields": sorted(changes)},
    )
    return fix


@transaction.atomic
def record_correct(*, record_id: int, actor: Any, changes: dict[str, Any]) -> CreditReportRecord:
    """Correct a rejected record: the correction is pending, sent with the next submission."""
    original = CreditReportRecord.objects.select_for_update().get(pk=record_id)
    if original.status != CreditReportStatus.REJECTED:
        raise CreditReportingRefused(_("只有被退回的记录可以更正。"))
    if frozen(original.loan_id):
        raise CreditReportingRefused(_("该账户有未答复的异议，记录已冻结。"))
    return _corrected_copy(original, changes, actor)


def dispute_correction(
    *, record: CreditReportRecord, actor: Any, changes: dict[str, Any]
) -> CreditReportRecord:
    """A disputed (accepted) record's correction, made when the dispute is answered."""
    return _corrected_copy(record, changes, actor)
