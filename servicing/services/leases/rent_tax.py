"""A lease's rents as the customer reads them: each rent, of which principal, interest and the
VAT inside it (the one rule, `vat.rent_vat`, at the dated rate of the rent's due date — the tax
point), for the schedule on the customer's and the agent's pages. Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from servicing.models.loans import Loan, LoanScheduleRow
from servicing.services.invoicing import InvoiceError, vat_rate
from servicing.services.leases.vat import LEASE_VAT_KIND, rent_vat


@dataclass(frozen=True)
class RentRow:
    row: LoanScheduleRow
    rate: Decimal | None  # None: the VAT table has no rate for the due date yet
    tax: Decimal | None


def rents_with_tax(*, loan: Loan, rows: list[LoanScheduleRow]) -> list[RentRow]:
    """The schedule rows with each rent's VAT (直租: on the whole rent; 售后回租: on the interest
    and fee only)."""
    kind = LEASE_VAT_KIND[loan.contract_type]
    rates: dict = {}
    out = []
    for row in rows:
        if row.due_date not in rates:
            try:
                rates[row.due_date] = vat_rate(kind=kind, on=row.due_date)
            except InvoiceError:
                rates[row.due_date] = None
        rate = rates[row.due_date]
        tax = None
        if rate is not None:
            tax = rent_vat(
                contract_type=loan.contract_type, principal=row.principal,
                interest=row.interest, fee=row.fee, rate=rate,
            ).tax  # fmt: skip
        out.append(RentRow(row=row, rate=rate, tax=tax))
    return out
