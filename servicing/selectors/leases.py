"""Reads for leases (issue 19): the customer's invoices of a lease, the lease book by asset, the
month's output VAT as the VAT return needs it, and the roll-forward of 未实现融资收益.

Which invoices belong to a lease is read from the invoice's source (one convention for every
writer of lease invoices, docs/leases-pages.md):

- `lease_rent`: the schedule row's id (one invoice per rent), or "<loan id>:<yyyy-mm>" (one
  invoice per customer per month);
- `lease_buyout` (留购价): the last rent's schedule row id, or "<loan id>:<anything>";
- `lease_charge` (价外费用: penalty interest, late fee, 违约金): "<loan id>:<anything>".

A red-letter invoice keeps its blue one's source, so it belongs to the same lease.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Cast

from autofin.money import ZERO
from servicing.models.invoices import Invoice, InvoiceColour, VatKind
from servicing.models.leases import LeaseAsset
from servicing.models.ledger import AccountCode, JournalLine, Side, SourceType
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.selectors.periods import month_end

LEASE_INVOICE_SOURCES = ("lease_rent", "lease_buyout", "lease_charge")
# sources whose plain-number id is a schedule row of the lease
ROW_SOURCES = ("lease_rent", "lease_buyout")
LEASE_TYPES = ("direct_lease", "sale_leaseback")


def invoices_of_loan(*, loan: Loan) -> QuerySet[Invoice]:
    """The lease's invoices, blue and red, oldest first (nothing for a loan)."""
    row_ids = (
        LoanScheduleRow.objects.filter(loan_id=loan.pk)
        .annotate(sid=Cast("id", CharField()))
        .values("sid")
    )
    return Invoice.objects.filter(
        Q(source_type__in=ROW_SOURCES, source_id__in=row_ids)
        | Q(source_type__in=LEASE_INVOICE_SOURCES, source_id__startswith=f"{loan.pk}:")
    ).order_by("issued_on", "id")


def invoice_of_loan(*, loan: Loan, invoice_id: int) -> Invoice | None:
    """One invoice of this lease, or None (another customer's invoice is not found)."""
    return invoices_of_loan(loan=loan).filter(pk=invoice_id).first()


# --- the lease book by asset -----------------------------------------------------------------


def lease_book(
    *, query: str = "", status: str = "", registration_status: str = ""
) -> QuerySet[LeaseAsset]:
    """The asset register: every leased car with its lease, searchable by VIN, plate or contract
    number, filtered by the asset's status and its registration status."""
    qs = LeaseAsset.objects.select_related("loan").order_by("-id")
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(vin__iexact=query)
            | Q(vin__icontains=query)
            | Q(plate__icontains=query)
            | Q(loan__contract_ref__icontains=query)
        )
    if status:
        qs = qs.filter(status=status)
    if registration_status:
        qs = qs.filter(registration_status=registration_status)
    return qs


# --- VAT output by month ---------------------------------------------------------------------


@dataclass
class VatLine:
    kind: str
    kind_label: str
    rate: Decimal
    blue_count: int = 0
    blue_amount: Decimal = ZERO
    blue_tax: Decimal = ZERO
    red_count: int = 0
    red_amount: Decimal = ZERO  # negative, as the red-letter invoices carry it
    red_tax: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.blue_amount + self.red_amount

    @property
    def tax(self) -> Decimal:
        return self.blue_tax + self.red_tax


@dataclass
class VatMonth:
    """The month's output VAT of the lease invoices by kind and rate (blue − red), and the
    差额征税 deduction line (borrowing interest and, for 直租, 车辆购置税) — not recorded in
    AutoFin yet, so it is zero and says so."""

    month: dt.date
    lines: list[VatLine] = field(default_factory=list)
    deduction: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)


def vat_output_month(year: int, month: int) -> VatMonth:
    first = dt.date(year, month, 1)
    rows = (
        Invoice.objects.filter(
            source_type__in=LEASE_INVOICE_SOURCES, issued_on__range=(first, month_end(first))
        )
        .values("kind", "rate", "colour")
        .annotate(n=Count("id"), amount=Sum("amount"), tax=Sum("tax"))
        .order_by("kind", "rate", "colour")
    )
    lines: dict[tuple[str, Decimal], VatLine] = {}
    for row in rows:
        key = (row["kind"], row["rate"])
        line = lines.setdefault(
            key,
            VatLine(kind=row["kind"], kind_label=str(VatKind(row["kind"]).label), rate=row["rate"]),
        )
        if row["colour"] == InvoiceColour.BLUE:
            line.blue_count, line.blue_amount, line.blue_tax = row["n"], row["amount"], row["tax"]
        else:
            line.red_count, line.red_amount, line.red_tax = row["n"], row["amount"], row["tax"]
    return VatMonth(month=first, lines=list(lines.values()))


# --- the roll-forward of unearned finance income --------------------------------------------

# entries releasing 未实现融资收益 when a lease ends early (early termination, settlement,
# charge-off, a returned car); any other source is shown as "other movements"
TERMINATION_SOURCES = (
    SourceType.EARLY_SETTLEMENT, SourceType.CHARGE_OFF, "lease_termination", "lease_return",
    "lease_end",
)  # fmt: skip


@dataclass(frozen=True)
class UnearnedRollForward:
    month: dt.date
    opening: Decimal
    new_leases: Decimal  # + the gross-up of the leases commenced in the month
    released_by_accrual: Decimal  # − interest earned
    released_by_termination: Decimal  # − leases ended early
    other: Decimal  # ± anything else (reversals of the above net here)
    closing: Decimal


def _credit_balance(qs) -> Decimal:
    sums = qs.aggregate(
        c=Sum("amount", filter=Q(side=Side.CREDIT)), d=Sum("amount", filter=Q(side=Side.DEBIT))
    )
    return (sums["c"] or ZERO) - (sums["d"] or ZERO)


def unearned_income_rollforward(year: int, month: int) -> UnearnedRollForward:
    """Opening + new leases' gross-up − released by accrual − released by termination ± other =
    closing, all from the ledger's lines on unearned_finance_income (a credit balance)."""
    first = dt.date(year, month, 1)
    last = month_end(first)
    lines = JournalLine.objects.filter(account__code=AccountCode.UNEARNED_FINANCE_INCOME)
    opening = _credit_balance(lines.filter(entry__business_date__lt=first))
    moved = lines.filter(entry__business_date__range=(first, last))
    accrual = -_credit_balance(moved.filter(entry__source_type=SourceType.ACCRUAL))
    ended = -_credit_balance(moved.filter(entry__source_type__in=TERMINATION_SOURCES))
    rest = moved.exclude(entry__source_type__in=(SourceType.ACCRUAL, *TERMINATION_SOURCES))
    new = rest.filter(side=Side.CREDIT).aggregate(s=Sum("amount"))["s"] or ZERO
    other = -(rest.filter(side=Side.DEBIT).aggregate(s=Sum("amount"))["s"] or ZERO)
    closing = _credit_balance(lines.filter(entry__business_date__lte=last))
    return UnearnedRollForward(first, opening, new, accrual, ended, other, closing)
