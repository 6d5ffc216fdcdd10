"""Monthly commission statements in the portal: list, detail and CSV download."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from dealers import selectors
from dealers.models.commissions import CommissionStatement
from dealers.views.access import portal_render, portal_view


@portal_view
def portal_statements(request):
    return portal_render(
        request,
        "dealers/portal_statements.html",
        {"statements": selectors.dealer_statements(request.dealer.pk)},
    )


def _own_statement(request, pk: int) -> CommissionStatement:
    return get_object_or_404(CommissionStatement, pk=pk, dealer=request.dealer)


@portal_view
def portal_statement_detail(request, pk: int):
    statement = _own_statement(request, pk)
    return portal_render(
        request,
        "dealers/portal_statement_detail.html",
        {"statement": statement, "rows": selectors.statement_lines(statement)},
    )


@portal_view
def portal_statement_csv(request, pk: int):
    statement = _own_statement(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"commission-{statement.month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese headers correctly
    writer = csv.writer(response)
    writer.writerow(
        [
            gettext("合同号"),
            gettext("类型"),
            gettext("日期"),
            gettext("融资额"),
            gettext("金额"),
            gettext("销售顾问"),
        ]
    )
    for row in selectors.statement_lines(statement):
        line = row["line"]
        writer.writerow(
            [
                line.contract_ref,
                line.get_kind_display(),
                line.event_date.isoformat(),
                f"{line.amount_financed:.2f}",
                f"{line.amount:.2f}",
                row["salesperson"],
            ]
        )
    writer.writerow([gettext("合计"), "", "", "", f"{statement.total:.2f}"])
    if statement.brought_forward:
        writer.writerow([gettext("上期结转应收"), "", "", "", f"{statement.brought_forward:.2f}"])
    writer.writerow([gettext("应付净额"), "", "", "", f"{statement.net_amount:.2f}"])
    paid_on = statement.paid_on.isoformat() if statement.paid_on else ""
    writer.writerow(
        [gettext("付款状态"), statement.get_pay_status_display(), paid_on, statement.bank_ref, ""]
    )
    return response
