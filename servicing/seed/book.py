"""The commissions and KPIs of the demo loans' dealer, as funding and the nightly batch make
them: one commission per funded loan on its value date, each ended month's statement, and each
month's KPIs counted from the loans (servicing.services.dealer_kpis) — so the dealer's KPI page
and its statements agree month by month."""

from __future__ import annotations

from autofin.business_date import business_date_current
from dealers.models.commissions import Commission
from dealers.models.staff import DealerStaff, StaffRole
from dealers.services.commissions import (
    add_months,
    commission_accrue,
    commission_statement_for_month,
    month_end,
    month_start,
)
from origination.selectors.applications import application_salesperson_name
from servicing.models.loans import Loan
from servicing.services.dealer_kpis import dealer_month_kpis_record


def book_commissions_seed(*, stdout, context: dict) -> None:
    loans = list(
        Loan.objects.filter(dealer_id__isnull=False)
        .exclude(contract_ref__in=Commission.objects.values("contract_ref"))
        .order_by("value_date", "pk")
    )
    if not loans:
        return
    for loan in loans:
        commission_accrue(
            dealer=loan.dealer_id,
            contract_ref=loan.contract_ref,
            amount_financed=loan.amount_financed,
            funded_on=loan.value_date,
            product_line="new",
            salesperson_name=_salesperson_name(loan),
        )
    dealer_ids = {loan.dealer_id for loan in loans}
    today = business_date_current()
    month = month_start(loans[0].value_date)
    months = 0
    while month <= today:
        # accruals first, then the months in order: each statement holds its own month's
        if month_end(month) <= today:
            for dealer_id in dealer_ids:
                commission_statement_for_month(dealer=dealer_id, month=month)
        dealer_month_kpis_record(month=month, dealer_ids=dealer_ids)
        month = add_months(month, 1)
        months += 1
    stdout.write(f"  {len(loans)} demo loans' commissions; {months} months of their dealer KPIs\n")


def _salesperson_name(loan: Loan) -> str:
    """The salesperson a commission names: the application's, as funding names them; the demo
    loans are opened without an application, so their dealer's demo salesperson sold them."""
    name = application_salesperson_name(loan.application_id)
    if name:
        return name
    staff = (
        DealerStaff.objects.filter(
            dealer_id=loan.dealer_id, role=StaffRole.DEALER_SALES, active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return str(staff.user) if staff else ""
