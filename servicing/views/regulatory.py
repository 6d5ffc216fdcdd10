"""Regulatory reports for finance, compliance and auditors (/finance/regulatory-reports/): each
month's reports on screen with their definitions, and each as a CSV that opens with its title,
the date its figures stand at and its definitions. A download is recorded as the report
generated for the month (the period's close checklist asks for all of them)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from autofin.business_date import business_date_current
from autofin.roles import Role
from origination.views.workbench import roles_required
from servicing.models.gl_mapping import RegulatoryReportFile
from servicing.selectors.periods import month_start
from servicing.selectors.regulatory import PRIMARY, REPORTS, report_table
from servicing.services.regulatory import regulatory_report_generate
from servicing.views.periods import csv_response, month_or_404

VIEWERS = (
    Role.FINANCE_OPERATOR,
    Role.FINANCE_APPROVER,
    Role.COMPLIANCE_OFFICER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
)


report_viewer = roles_required(*VIEWERS)


@report_viewer
def regulatory_reports(request):
    """Opens on the last month that has ended."""
    last = month_start(business_date_current()) - dt.timedelta(days=1)
    return redirect("servicing:regulatory_reports_month", year=last.year, month=last.month)


@report_viewer
def regulatory_reports_month(request, year: int, month: int):
    first = month_or_404(year, month)
    generated = {
        r.report: r
        for r in RegulatoryReportFile.objects.using(PRIMARY)
        .filter(month=first)
        .select_related("generated_by")
    }
    tables = []
    for code in REPORTS:
        table = report_table(code, first)
        if table is not None:
            table["generated"] = generated.get(code)
            tables.append(table)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "servicing/regulatory_reports.html",
        {
            "month": first,
            "tables": tables,
            "previous": previous,
            "following": following if following <= business_date_current() else None,
        },
    )


@report_viewer
def regulatory_report_csv(request, year: int, month: int, code: str):
    first = month_or_404(year, month)
    if code not in REPORTS:
        raise Http404
    table = regulatory_report_generate(code=code, month=first, actor=request.user)
    if table is None:
        raise Http404

    def rows():
        yield [table["title"]]
        yield [_("报表期间"), f"{first:%Y-%m}"]
        yield [_("口径说明")]
        for line in table["definitions"]:
            yield [line]
        yield []
        yield table["header"]
        yield from table["rows"]

    return csv_response(rows(), f"regulatory-{code}-{first:%Y-%m}.csv")
