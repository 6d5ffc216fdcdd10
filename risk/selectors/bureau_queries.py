"""The credit-bureau query log as compliance reads it: filtered rows, counts by purpose, and
the same rows as a CSV report (one reader for the page and the export)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from risk.models import BureauQuery


def bureau_queries(
    *, purpose: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[BureauQuery]:
    """Queries, newest first, by purpose and by the Beijing date they were made."""
    qs = BureauQuery.objects.all()
    if purpose:
        qs = qs.filter(purpose=purpose)
    if date_from:
        qs = qs.filter(queried_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(queried_at__date__lte=date_to)
    return qs.order_by("-queried_at", "-id")


def bureau_query_counts(qs: QuerySet[BureauQuery]) -> list[dict]:
    """How many queries per purpose in ``qs``: [{purpose, label, count}] (every purpose)."""
    counts = dict(qs.order_by().values_list("purpose").annotate(n=Count("id")))
    return [
        {"purpose": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in BureauQuery.Purpose.choices
    ]


# System callers by their actor label (a post-funding re-check passes "loan-recheck"); a person
# appears by username.
REQUESTERS = {"risk-engine": gettext_lazy("自动审批引擎"), "loan-recheck": gettext_lazy("贷后复查")}


def _requester(value: str) -> str:
    return str(REQUESTERS.get(value, value))


def _consent(value: str) -> str:
    # origination's consents are "consent:<id>": compliance reads the number
    return (
        _("授权书 #%(n)s") % {"n": value.removeprefix("consent:")}
        if value.startswith("consent:")
        else value
    )


def bureau_query_row(q: BureauQuery) -> dict:
    """One query in words, as the page and the report show it."""
    return {
        "queried_at": timezone.localtime(q.queried_at).strftime("%Y-%m-%d %H:%M:%S"),
        "purpose": q.get_purpose_display(),
        "subject_ref": q.subject_ref,
        "consent": _consent(q.consent_ref),
        "requested_by": _requester(q.requested_by),
        "status": q.get_status_display(),
        "status_code": q.status,
        "found": {True: _("有"), False: _("无（白户）"), None: "—"}[q.found],
        "id_hash": q.id_hash,
        "error": q.error,
    }


CSV_COLUMNS = (
    ("queried_at", gettext_lazy("查询时间")),
    ("purpose", gettext_lazy("查询原因")),
    ("subject_ref", gettext_lazy("业务编号")),
    ("consent", gettext_lazy("授权书")),
    ("requested_by", gettext_lazy("查询发起方")),
    ("status", gettext_lazy("状态")),
    ("found", gettext_lazy("征信记录")),
    ("id_hash", gettext_lazy("被查询人身份证哈希")),
    ("error", gettext_lazy("失败原因")),
)


def bureau_query_csv_rows(qs: QuerySet[BureauQuery]) -> Iterator[list[str]]:
    """The report: a header, then one row per query (times in Beijing time)."""
    yield [str(label) for _key, label in CSV_COLUMNS]
    for q in qs.iterator(chunk_size=2000):
        row = bureau_query_row(q)
        yield [_cell(str(row[key])) for key, _label in CSV_COLUMNS]


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: make it text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value
