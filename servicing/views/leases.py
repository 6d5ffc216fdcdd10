"""Lease pages (issue 19): the customer's invoice PDF (their own only: 404 otherwise), the agent's
copy of it, the finance reports (/finance/leases/: lease book by asset, output VAT by month, the
roll-forward of 未实现融资收益; each as CSV) and the operations' asset register. Thin: the
figures come from servicing.selectors.leases."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from autofin.business_date import business_date_current
from autofin.fields import PlainDecimalField
from autofin.ratelimit import heavy_endpoint
from autofin.roles import Role, user_has_role
from origination.views.workbench import roles_required
from servicing.invoice_documents import invoice_pdf
from servicing.ledger_names import account_name
from servicing.models.invoices import Invoice
from servicing.models.leases import AssetStatus, LeaseAsset, RegistrationStatus
from servicing.models.loans import Loan
from servicing.selectors import leases as leases_sel
from servicing.selectors.periods import month_start
from servicing.views.common import customer_loan_or_404
from servicing.views.loans import AGENT_ROLES, agent_required
from servicing.views.periods import csv_response, month_or_404

finance_viewer = roles_required(
    Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.AUDITOR, Role.SYSTEM_ADMIN
)
BOOK_ON_PAGE = 50
register_viewer = roles_required(
    Role.OPERATIONS, Role.SERVICING_AGENT, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER,
    Role.AUDITOR, Role.SYSTEM_ADMIN,
)  # fmt: skip


def _pdf_response(invoice: Invoice, loan: Loan) -> HttpResponse:
    response = HttpResponse(
        invoice_pdf(invoice, contract_ref=loan.contract_ref), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response


@login_required
@heavy_endpoint
def my_invoice_pdf(request, loan_id: int, invoice_id: int):
    """The customer's own invoice; any other (another's loan, another loan's invoice) is 404."""
    loan = customer_loan_or_404(request, loan_id)
    invoice = leases_sel.invoice_of_loan(loan=loan, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    return _pdf_response(invoice, loan)


@agent_required
@heavy_endpoint
def loan_invoice_pdf(request, loan_id: int, invoice_id: int):
    loan = get_object_or_404(Loan, pk=loan_id)
    invoice = leases_sel.invoice_of_loan(loan=loan, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    return _pdf_response(invoice, loan)


# --- finance reports ---------------------------------------------------------------------------


def _book_rows(assets):
    for a in assets.iterator(chunk_size=2000):
        loan = a.loan
        yield [
            a.vin, a.vehicle or loan.vehicle, loan.contract_ref, loan.get_contract_type_display(),
            a.get_title_holder_display(), a.get_registration_status_display(),
            loan.principal_outstanding, a.residual_value, a.get_status_display(),
        ]  # fmt: skip


def _book_header() -> list[str]:
    return [
        _("车架号"), _("车辆"), _("合同编号"), _("合同类型"), _("所有权人"), _("登记状态"),
        _("剩余本金"), _("残值"), _("资产状态"),
    ]  # fmt: skip


@finance_viewer
def lease_reports(request):
    """Opens on the last month that has ended."""
    last = month_start(business_date_current()) - dt.timedelta(days=1)
    return redirect("servicing:lease_reports_month", year=last.year, month=last.month)


@finance_viewer
def lease_reports_month(request, year: int, month: int):
    first = month_or_404(year, month)
    book = leases_sel.lease_book()
    totals = book.aggregate(
        n=Count("id"), principal=Sum("loan__principal_outstanding"), residual=Sum("residual_value")
    )
    return render(
        request,
        "servicing/leases/reports.html",
        {
            "month": first,
            "previous": (first - dt.timedelta(days=1)).replace(day=1),
            "following": (first + dt.timedelta(days=32)).replace(day=1),
            "book": book[:BOOK_ON_PAGE],  # all of them in the CSV and the register
            "book_count": totals["n"],
            "book_principal": totals["principal"] or 0,
            "book_residual": totals["residual"] or 0,
            "vat": leases_sel.vat_output_month(
                first.year, first.month, borrowing_interest=_borrowing_interest(request)
            ),
            "roll": leases_sel.unearned_income_rollforward(first.year, first.month),
            # the lease accounts against their sub-ledgers today (decision 0014)
            "books": [
                (account_name(row.account), row) for row in leases_sel.lease_books_reconcile()
            ],
        },
    )


class _BorrowingInterestForm(forms.Form):
    borrowing_interest = PlainDecimalField(
        min_value=0, max_digits=18, decimal_places=2, required=False
    )


def _borrowing_interest(request) -> Decimal:
    """The month's borrowing interest finance types in for 差额征税 (zero when absent or bad)."""
    form = _BorrowingInterestForm(request.GET)
    if form.is_valid() and form.cleaned_data["borrowing_interest"] is not None:
        return form.cleaned_data["borrowing_interest"]
    return Decimal("0.00")


@finance_viewer
def lease_book_csv(request, year: int, month: int):
    month_or_404(year, month)
    rows = itertools.chain([_book_header()], _book_rows(leases_sel.lease_book()))
    return csv_response(rows, f"lease-book-{year}-{month:02d}.csv")


@finance_viewer
def lease_vat_csv(request, year: int, month: int):
    first = month_or_404(year, month)
    vat = leases_sel.vat_output_month(
        first.year, first.month, borrowing_interest=_borrowing_interest(request)
    )
    rows = [[_("增值税销项税额月报"), f"{year}-{month:02d}"],
            [_("应税项目"), _("税率"), _("蓝字发票张数"), _("蓝字金额"), _("蓝字税额"),
             _("红字发票张数"), _("红字金额"), _("红字税额"), _("销售额"), _("销项税额")]]  # fmt: skip
    for line in vat.lines:
        rows.append([
            line.kind_label, line.rate, line.blue_count, line.blue_amount, line.blue_tax,
            line.red_count, line.red_amount, line.red_tax, line.amount, line.tax,
        ])  # fmt: skip
    rows.append([_("合计"), "", "", "", "", "", "", "", vat.amount, vat.tax])
    rows.append([_("差额征税扣除税额（借款利息、车辆购置税）"), "", "", "", "", "", "", "",
                 vat.deduction_base, vat.deduction_tax])  # fmt: skip
    rows.append([_("应纳税额"), "", "", "", "", "", "", "", "", vat.payable_tax])
    return csv_response(rows, f"lease-vat-{year}-{month:02d}.csv")


@finance_viewer
def lease_unearned_csv(request, year: int, month: int):
    first = month_or_404(year, month)
    roll = leases_sel.unearned_income_rollforward(first.year, first.month)
    rows = [
        [_("未实现融资收益变动表"), f"{year}-{month:02d}"],
        [_("期初余额"), roll.opening],
        [_("加：本月起租合同未实现融资收益"), roll.new_leases],
        [_("减：本月计提转入利息收入"), roll.released_by_accrual],
        [_("减：提前终止转出"), roll.released_by_termination],
        [_("其他变动"), roll.other],
        [_("期末余额"), roll.closing],
    ]
    return csv_response(rows, f"lease-unearned-{year}-{month:02d}.csv")


# --- operations: the asset register ------------------------------------------------------------


@register_viewer
def lease_asset_list(request):
    query = request.GET.get("q", "")
    status = request.GET.get("status", "")
    registration = request.GET.get("registration", "")
    if status not in AssetStatus.values:
        status = ""
    if registration not in RegistrationStatus.values:
        registration = ""
    page = Paginator(
        leases_sel.lease_book(query=query, status=status, registration_status=registration), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "servicing/leases/assets.html",
        {
            "page": page, "q": query, "status": status, "registration": registration,
            "statuses": AssetStatus.choices, "registrations": RegistrationStatus.choices,
            "total": LeaseAsset.objects.count(),
            "link_loans": user_has_role(request.user, *AGENT_ROLES),
        },
    )  # fmt: skip
