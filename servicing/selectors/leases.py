"""Lease figures (decision 0014): the lease accounts against the lease sub-ledger, and the
month's output VAT for the tax return.

- `lease_books_reconcile()`: per account, the ledger against the documents — unearned finance
  income and lease payments unearned against the scheduled interest not yet accrued of every
  lease (`UNACCRUED_SQL`); vat_output_deferred against each 直租's purchase VAT less the
  principal tax its rent invoices moved out; vat_output of the lease invoices' entries against
  the invoices' tax. The nightly reconciliation compares the first two per loan.
- `vat_output_month(year, month)`: output VAT of the lease invoices issued in the month by kind
  and rate (blue less red), and, for a lessor entitled to 差额征税 (setting
  LEASE_VAT_MARGIN_ELIGIBLE), the deduction: the borrowing interest paid in the month (given by
  finance) and, for 直租, the 车辆购置税 paid for its cars (disbursements' TAX payee in the
  month), each as tax at the lease rate inside it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum

from autofin.money import ZERO, quantize_fen
from servicing.eod.sql import one
from servicing.models import AccountCode as A
from servicing.models import JournalLine, Side
from servicing.models.disbursement import PaymentInstruction
from servicing.models.invoices import Invoice, VatKind
from servicing.models.lease_invoices import LeaseInvoiceKind, LeaseInvoiceLine
from servicing.models.loans import Loan
from servicing.services.invoicing import vat_rate
from servicing.services.leases.accounting import LEASE_TYPES, LEASE_TYPES_SQL, UNACCRUED_SQL
from servicing.services.leases.vat import tax_inclusive_part

LEASE_SOURCES = (LeaseInvoiceKind.RENT, LeaseInvoiceKind.CHARGE, "lease_buyout")


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
        Invoice.objects.filter(source_type__in=LEASE_SOURCES).aggregate(s=Sum("tax"))["s"] or ZERO
    )


def lease_books_reconcile() -> list[LeaseBookRow]:
    """The lease accounts and their sub-ledgers, to the fen."""
    unaccrued = lease_unaccrued_total()
    invoice_ids = [
        str(pk)
        for pk in Invoice.objects.filter(source_type__in=LEASE_SOURCES).values_list("pk", flat=True)
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


def vat_output_month(year: int, month: int, *, borrowing_interest: Decimal = ZERO) -> dict:
    """The month's output VAT of the lease invoices (blue less red) by kind and rate, and the
    差额征税 deduction: {"rows": [{kind, kind_label, rate, invoices, amount, tax, total}],
    "output_tax", "invoices_total", "margin_eligible", "borrowing_interest",
    "purchase_tax_paid", "deduction_base", "deduction_tax", "payable_tax"} (Decimals)."""
    first, last = _month(year, month)
    grouped = (
        Invoice.objects.filter(source_type__in=LEASE_SOURCES, issued_on__range=(first, last))
        .values("kind", "rate")
        .annotate(n=Count("id"), amount=Sum("amount"), tax=Sum("tax"), total=Sum("total"))
        .order_by("kind", "rate")
    )
    rows = [
        {"kind": g["kind"], "kind_label": VatKind(g["kind"]).label, "rate": g["rate"],
         "invoices": g["n"], "amount": g["amount"], "tax": g["tax"], "total": g["total"]}
        for g in grouped
    ]  # fmt: skip
    output_tax = sum((r["tax"] for r in rows), ZERO)
    eligible = bool(settings.LEASE_VAT_MARGIN_ELIGIBLE)
    interest = borrowing_interest if eligible else ZERO
    purchase_tax = purchase_tax_paid(first, last) if eligible else ZERO
    deduction_tax = ZERO
    if eligible:
        # each deduction carries the tax of the service it is deducted from
        for kind, share in _deduction_split(first, last, interest).items():
            base = share + (purchase_tax if kind == VatKind.TANGIBLE_LEASE else ZERO)
            deduction_tax += tax_inclusive_part(base, vat_rate(kind=kind, on=last))
    return {
        "rows": rows,
        "output_tax": output_tax,
        "invoices_total": sum((r["total"] for r in rows), ZERO),
        "margin_eligible": eligible,
        "borrowing_interest": interest,
        "purchase_tax_paid": purchase_tax,
        "deduction_base": interest + purchase_tax,
        "deduction_tax": deduction_tax,
        "payable_tax": output_tax - deduction_tax,
    }


def _deduction_split(first: dt.date, last: dt.date, interest: Decimal) -> dict[str, Decimal]:
    """The borrowing interest split between 直租 and 售后回租 by the month's invoiced totals,
    half-up to the fen, the last kind taking the rest (all to 直租 when nothing was invoiced)."""
    totals = dict(
        Invoice.objects.filter(source_type__in=LEASE_SOURCES, issued_on__range=(first, last))
        .values("kind").annotate(s=Sum("total")).values_list("kind", "s")
    )  # fmt: skip
    whole = sum(totals.values(), ZERO)
    if whole <= 0:
        return {VatKind.TANGIBLE_LEASE.value: interest}
    kinds = sorted(totals)
    split = {k: quantize_fen(interest * totals[k] / whole, ROUND_HALF_UP) for k in kinds[:-1]}
    split[kinds[-1]] = interest - sum(split.values(), ZERO)
    return split


__all__ = ["lease_books_reconcile", "vat_output_month"]
