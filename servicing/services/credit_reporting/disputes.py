"""Disputes of reported records (异议, 征信业管理条例 第25条): recorded by an agent (or raised by
the customer), they freeze the account's records — nothing of it is sent or corrected — until
answered, which is due `DISPUTE_DAYS` days after the dispute was raised. The answer is
`corrected` (a correction of the disputed record is made and sent with the next submission) or
`upheld` (the record stands). Whoever raised a dispute does not answer it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from servicing.models.credit_reporting import (
    CreditReportDispute,
    CreditReportRecord,
    CreditReportStatus,
    DisputeOutcome,
    DisputeStatus,
)
from servicing.services.credit_reporting.submit import CreditReportingRefused, dispute_correction

DISPUTE_DAYS = 20


@transaction.atomic
def dispute_open(*, record_id: int, actor: Any, description: str) -> CreditReportDispute:
    record = CreditReportRecord.objects.select_for_update().get(pk=record_id)
    if record.status != CreditReportStatus.ACCEPTED:
        raise CreditReportingRefused(_("只能对已报送并被接收的记录提出异议。"))
    if not description.strip():
        raise CreditReportingRefused(_("请填写异议内容。"))
    today = business_date_current()
    try:
        with transaction.atomic():
            dispute = CreditReportDispute.objects.create(
                record=record,
                loan_id=record.loan_id,
                raised_on=today,
                due_on=today + dt.timedelta(days=DISPUTE_DAYS),
                raised_by=actor,
                description=description.strip(),
            )
    except IntegrityError as exc:
        raise CreditReportingRefused(_("该账户已有未答复的异议。")) from exc
    audit_record(actor=actor, obj=dispute, action="credit_dispute_open", to_state="open")
    return dispute


@transaction.atomic
def dispute_answer(
    *,
    dispute_id: int,
    actor: Any,
    outcome: str,
    answer: str,
    changes: dict[str, Any] | None = None,
) -> CreditReportDispute:
    dispute = CreditReportDispute.objects.select_for_update().get(pk=dispute_id)
    if dispute.status != DisputeStatus.OPEN:
        raise CreditReportingRefused(_("该异议已答复。"))
    if dispute.raised_by_id == getattr(actor, "pk", None):
        raise CreditReportingRefused(_("受理异议的人不能答复同一异议。"))
    if outcome not in DisputeOutcome.values or not answer.strip():
        raise CreditReportingRefused(_("请选择处理结果并填写答复。"))
    if outcome == DisputeOutcome.CORRECTED:
        if not changes:
            raise CreditReportingRefused(_("更正须注明更正的内容。"))
        record = CreditReportRecord.objects.select_for_update().get(pk=dispute.record_id)
        dispute.correction = dispute_correction(record=record, actor=actor, changes=changes)
    dispute.status = DisputeStatus.ANSWERED
    dispute.outcome = outcome
    dispute.answer = answer.strip()
    dispute.answered_on = business_date_current()
    dispute.answered_by = actor
    dispute.save()
    audit_record(
        actor=actor,
        obj=dispute,
        action="credit_dispute_answer",
        from_state="open",
        to_state=outcome,
    )
    return dispute
