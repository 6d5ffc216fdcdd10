"""Reads for leases (issue 19; decision 0014): the lease accounts against the lease sub-ledger,
the customer's invoices of a lease, the lease book by asset, the month's output VAT as the VAT
return needs it, and the roll-forward of 未实现融资收益.

- `lease_books_reconcile()`: per account, the ledger against the documents — unearned finance
  income and lease payments unearned against the scheduled interest not yet accrued of every
  lease (`UNACCRUED_SQL`); vat_output_deferred against each 直租's purchase VAT less the
  principal tax its rent invoices moved out; vat_output of the lease invoices' entries against
  the invoices' tax. The nightly reconciliation compares the first two per loan.
- `vat_output_month(year, month)`: output VAT of the lease invoices issued in the month by kind
  and rate (blue, red, net), and, for a lessor entitled to 差额征税 (setting
  LEASE_VAT_MARGIN_ELIGIBLE), the deduction: the borrowing interest paid in the month (given by
  finance) and, for 直租, the 车辆购置税 paid for its cars (disbursements' TAX payee in the
  month), each as tax at the lease rate inside it.

Which invoices belong to a lease is read from the invoice's source (one convention for every
writer of lease invoices, docs/leases-pages.md):

- `lease_rent`: the schedule row's id (one invoice per rent), or "<loan id>:<yyyy-mm>" (one
  invoice per customer per month);
- `lease_buyout` (留购价): the last rent's schedule row id, or "<loan id>:<anything>";
- `lease_charge` (价外费用: penalty interest, late fee, 违约金): "<loan id>:<anything>".

A red-letter invoice keeps its blue one's source, so it belongs to the same lease.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Cast

from autofin.money import ZERO, quantize_fen
from servicing.eod.sql import one
from servicing.models import AccountCode as A
from servicing.models.disbursement import PaymentInstruction
from servicing.models.invoices import Invoice, InvoiceColour, VatKind
from servicing.models.lease_invoices import LeaseInvoiceKind, LeaseInvoiceLine
from servicing.models.leases import LeaseAsset
from servicing.models.ledger import AccountCode, JournalLine, Side, SourceType
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.selectors.periods import month_end
from servicing.services.invoicing import vat_rate
from servicing.services.leases.accounting import LEASE_TYPES, LEASE_TYPES_SQL, UNACCRUED_SQL
from servicing.services.leases.vat import tax_inclusive_part

LEASE_INVOICE_SOURCES = (
    LeaseInvoiceKind.RENT, "lease_buyout", LeaseInvoiceKind.CHARGE, "lease_termination",
)  # fmt: skip
# sources whose plain-number id is a schedule row of the lease
ROW_SOURCES = (LeaseInvoiceKind.RENT, "lease_buyout")


@dataclass(frozen=True)
class LeaseBookRow:
    account: str
    ledger: Decimal
    subledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.subledger


def _ledger(code: str, lines=None) -> Decimal:
    """The balance of `code` on its normal side over the lease loans' lines (or `lines`)."""
    qs = (
        lines
        if lines is not None
        else JournalLine.objects.filter(loan__contract_type__in=LEASE_TYPES)
    )
    sums = qs.filter(account__code=code).aggregate(
        d=Sum("amount", filter=Q(side=Side.DEBIT)), c=Sum("amount", filter=Q(side=Side.CREDIT))
    )
    d, c = sums["d"] or ZERO, sums["c"] or ZERO
    debit_normal = code in (A.LEASE_PAYMENTS_UNEARNED, A.VAT_INPUT)
    return d - c if debit_normal else c - d


def lease_unaccrued_total() -> Decimal:
    """Σ over the leases of the scheduled interest not yet accrued (the lease sub-ledger)."""
    sql = f"SELECT coalesce(sum({UNACCRUED_SQL}), 0) FROM servicing_loan l WHERE l.contract_type IN {LEASE_TYPES_SQL}"  # noqa: S608
    return one(sql)[0]


def deferred_vat_subledger() -> Decimal:
    """Σ over 直租 of the car's input VAT less the principal tax its rents moved out."""
    total = ZERO
    for loan in Loan.objects.filter(contract_type="direct_lease").order_by("pk"):
        commenced = _ledger(
            A.VAT_INPUT, JournalLine.objects.filter(loan=loan, entry__source_type="lease")
        )
        moved = LeaseInvoiceLine.objects.filter(loan=loan).aggregate(s=Sum("principal_tax"))["s"]
        total += commenced - (moved or ZERO)
    return total


def lease_invoices_tax() -> Decimal:
    return (
        Invoice.objects.filter(source_type__in=LEASE_INVOICE_SOURCES).aggregate(s=Sum("tax"))["s"]
        or ZERO
    )


def lease_books_reconcile() -> list[LeaseBookRow]:
    """The lease accounts and their sub-ledgers, to the fen."""
    unaccrued = lease_unaccrued_total()
    invoice_ids = [
        str(pk)
        for pk in Invoice.objects.filter(source_type__in=LEASE_INVOICE_SOURCES).values_list(
            "pk", flat=True
        )
    ]
    vat_lines = JournalLine.objects.filter(
        entry__source_type="invoice", entry__source_id__in=invoice_ids
    )
    return [
        LeaseBookRow(A.UNEARNED_FINANCE_INCOME.value, _ledger(A.UNEARNED_FINANCE_INCOME), unaccrued),
        LeaseBookRow(A.LEASE_PAYMENTS_UNEARNED.value, _ledger(A.LEASE_PAYMENTS_UNEARNED), unaccrued),
        LeaseBookRow(A.VAT_OUTPUT_DEFERRED.value, _ledger(A.VAT_OUTPUT_DEFERRED), deferred_vat_subledger()),
        LeaseBookRow(A.VAT_OUTPUT.value, _ledger(A.VAT_OUTPUT, vat_lines), lease_invoices_tax()),
    ]  # fmt: skip


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def purchase_tax_paid(first: dt.date, last: dt.date) -> Decimal:
    """车辆购置税 the lessor paid for its 直租 cars in the month (the disbursements' TAX payee)."""
    loan_ids = Loan.objects.filter(contract_type="direct_lease").values_list("pk", flat=True)
    return (
        PaymentInstruction.objects.filter(
            payee_kind="tax", status="succeeded", disbursement__loan_id__in=loan_ids,
            disbursement__funded_on__range=(first, last),
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )  # fmt: skip


def _deduction_split(first: dt.date, last: dt.date, interest: Decimal) -> dict[str, Decimal]:
    """The borrowing interest split between 直租 and 售后回租 by the month's invoiced totals,
    half-up to the fen, the last kind taking the rest (all to 直租 when nothing was invoiced)."""
    totals = dict(
        Invoice.objects.filter(source_type__in=LEASE_INVOICE_SOURCES, issued_on__range=(first, last))
        .values("kind").annotate(s=Sum("total")).values_list("kind", "s")
    )  # fmt: skip
    whole = sum(totals.values(), ZERO)
    if whole <= 0:
        return {VatKind.TANGIBLE_LEASE.value: interest}
    kinds = sorted(totals)
    split = {k: quantize_fen(interest * totals[k] / whole, ROUND_HALF_UP) for k in kinds[:-1]}
    split[kinds[-1]] = interest - sum(split.values(), ZERO)
    return split


# --- the customer's invoices ---------------------------------------------------------------


def invoices_of_loan(*, loan: Loan) -> QuerySet[Invoice]:
    """The lease's invoices, blue and red, oldest first (nothing for a loan): rents by row (or
    "<loan>:<month>"), buyouts by "<loan>:…", charges by the repayment that paid them, an early
    termination by its payoff quote."""

    def ids(qs):
        return qs.annotate(sid=Cast("id", CharField())).values("sid")

    return Invoice.objects.filter(
        Q(
            source_type__in=ROW_SOURCES,
            source_id__in=ids(LoanScheduleRow.objects.filter(loan_id=loan.pk)),
        )
        | Q(source_type__in=LEASE_INVOICE_SOURCES, source_id__startswith=f"{loan.pk}:")
        | Q(source_type=LeaseInvoiceKind.CHARGE, source_id__in=ids(loan.repayments.all()))
        | Q(source_type="lease_termination", source_id__in=ids(loan.payoff_quotes.all()))
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
    """The month's output VAT of the lease invoices by kind and rate (blue, red, net) and, for a
    lessor entitled to 差额征税, the deduction and the tax payable."""

    month: dt.date
    lines: list[VatLine] = field(default_factory=list)
    margin_eligible: bool = False
    borrowing_interest: Decimal = ZERO
    purchase_tax_paid: Decimal = ZERO
    deduction_tax: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def invoices_total(self) -> Decimal:
        return self.amount + self.tax

    @property
    def deduction_base(self) -> Decimal:
        return self.borrowing_interest + self.purchase_tax_paid

    @property
    def payable_tax(self) -> Decimal:
        return self.tax - self.deduction_tax


def vat_output_month(year: int, month: int, *, borrowing_interest: Decimal = ZERO) -> VatMonth:
    """The month's VAT figures; `borrowing_interest`: what finance paid on its borrowings in the
    month (deducted only when LEASE_VAT_MARGIN_ELIGIBLE)."""
    first, last = _month(year, month)
    rows = (
        Invoice.objects.filter(
            source_type__in=LEASE_INVOICE_SOURCES, issued_on__range=(first, last)
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
    result = VatMonth(month=first, lines=list(lines.values()))
    if settings.LEASE_VAT_MARGIN_ELIGIBLE:
        result.margin_eligible = True
        result.borrowing_interest = borrowing_interest
        result.purchase_tax_paid = purchase_tax_paid(first, last)
        # each deduction carries the tax of the service it is deducted from
        for kind, share in _deduction_split(first, last, borrowing_interest).items():
            base = share + (result.purchase_tax_paid if kind == VatKind.TANGIBLE_LEASE else ZERO)
            result.deduction_tax += tax_inclusive_part(base, vat_rate(kind=kind, on=last))
    return result


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
