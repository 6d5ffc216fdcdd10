"""The credit-bureau query log (征信查询记录) for compliance and risk: filter, page, export.
Read-only: rows are written only by risk.services.bureau.bureau_query."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render

from risk.forms.bureau_queries import BureauQueryFilterForm
from risk.selectors.bureau_queries import (
    bureau_queries as bureau_queries_filtered,
)
from risk.selectors.bureau_queries import (
    bureau_query_counts,
    bureau_query_csv_rows,
    bureau_query_row,
)
from risk.views.access import bureau_log_reader_required

PAGE_SIZE = 50


def _filtered(request):
    form = BureauQueryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = bureau_queries_filtered(
        purpose=filters.get("purpose") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return form, qs


@bureau_log_reader_required
def bureau_queries(request):
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "risk/bureau_queries.html",
        {
            "form": form,
            "page": page,
            "rows": [bureau_query_row(q) for q in page],
            "counts": bureau_query_counts(qs),
            "total": page.paginator.count,
            "query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@bureau_log_reader_required
def bureau_queries_csv(request):
    """The filtered log as a CSV report (UTF-8 with BOM, so Excel reads the Chinese headers),
    streamed: a year of queries is many rows."""
    _form, qs = _filtered(request)
    writer = csv.writer(_Echo())
    rows = (writer.writerow(r) for r in bureau_query_csv_rows(qs))
    response = StreamingHttpResponse(_with_bom(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bureau-queries.csv"'
    return response


def _with_bom(rows):
    yield "\ufeff"
    yield from rows
