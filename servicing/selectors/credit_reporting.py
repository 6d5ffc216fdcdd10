"""Read queries for credit reporting out: the submissions by month with their counts, the rejected
records waiting for a correction, the disputes with their due dates, a month's feed as CSV, and
what the sandbox center needs to know of the month before."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db.models import Count, Q

from servicing.models.credit_reporting import (
    CreditReportDispute,
    CreditReportRecord,
    CreditReportStatus,
    DisputeStatus,
)

FEED_COLUMNS = (
    "account_id", "kind", "report_date", "business_type", "name", "open_date", "due_date",
    "amount", "currency", "term_months", "repayment_method", "guarantee_type", "balance",
    "amount_due", "amount_paid", "overdue_periods", "overdue_amount", "five_category",
    "status_char", "status_24m", "event", "status", "feedback_code",
)  # fmt: skip


def previous_accepted_strings(records: list[dict[str, Any]]) -> dict[str, str]:
    """For each monthly record sent, the 24-month string of its account's accepted record of
    the month before (the sandbox center's memory), by record id."""
    wanted = {}
    for rec in records:
        if rec["record_type"] != "monthly":
            continue
        month = dt.date.fromisoformat(rec["performance"]["month"] + "-01")
        prev = (month - dt.timedelta(days=1)).replace(day=1)
        wanted[rec["record_id"]] = (rec["account"]["account_id"], prev)
    if not wanted:
        return {}
    found = {}
    rows = (
        CreditReportRecord.objects.filter(
            kind="monthly",
            status=CreditReportStatus.ACCEPTED,
            account_id__in={a for a, _m in wanted.values()},
            month__in={m for _a, m in wanted.values()},
        )
        .order_by("id")
        .values_list("account_id", "month", "status_24m")
    )
    for account_id, month, string in rows:
        found[(account_id, month)] = string  # the latest accepted wins
    return {rid: found[key] for rid, key in wanted.items() if key in found}


def submissions_by_month() -> list[dict[str, Any]]:
    return list(
        CreditReportRecord.objects.values("month")
        .annotate(
            records=Count("id"),
            accepted=Count("id", filter=Q(status=CreditReportStatus.ACCEPTED)),
            rejected=Count("id", filter=Q(status=CreditReportStatus.REJECTED)),
            pending=Count("id", filter=Q(status=CreditReportStatus.PENDING)),
            held=Count("id", filter=Q(status=CreditReportStatus.HELD)),
        )
        .order_by("-month")
    )


def rejected_records(limit: int = 200) -> list[CreditReportRecord]:
    return list(
        CreditReportRecord.objects.filter(status=CreditReportStatus.REJECTED).order_by("id")[:limit]
    )


def disputes_list(*, today: dt.date, limit: int = 200) -> list[CreditReportDispute]:
    disputes = list(
        CreditReportDispute.objects.select_related("record").order_by("status", "due_on", "id")[
            :limit
        ]
    )
    for d in disputes:
        d.overdue = d.status == DisputeStatus.OPEN and d.due_on < today
    return disputes


def month_feed_csv(month: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FEED_COLUMNS)
    for row in (
        CreditReportRecord.objects.filter(month=month)
        .order_by("account_id", "report_date", "id")
        .values_list(*FEED_COLUMNS)
        .iterator()
    ):
        writer.writerow(row)
    return out.getvalue()
