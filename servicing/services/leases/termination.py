"""Early termination of a lease (提前终止): the payoff engine's quote (outstanding principal +
interest accrued + the product's early-settlement fee as 违约金, plus the 留购价 billed with the
last rent, which the payoff engine leaves out with the unpaid rows' fees) with the VAT inside it;
paying the quote settles the lease through early settlement, which then calls
`lease_terminate_locked`: rents invoiced but cancelled by the settlement get red-letter invoices,
the settlement's taxable amount gets its invoice (直租: the whole quote at 13 %, the principal's
part out of the 待转销项税额 left; 售后回租: interest and fees at 6 %), the unearned finance
income not yet released is released, and the asset is bought out (title transfer task).

The quote is tax-inclusive like the rents it replaces: the VAT is shown inside the total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.ledger import JournalLine
from servicing.models.loans import Loan, LoanScheduleRow, PayoffQuoteRecord
from servicing.selectors.ledger import loan_balances
from servicing.services.invoicing import InvoiceError, vat_rate
from servicing.services.leases.invoices import (
    blue_invoices,
    invoice_red_letter,
    lease_invoice_issue,
)
from servicing.services.leases.vat import LEASE_VAT_KIND, tax_inclusive_part
from servicing.services.ledger.posting import journal_post


@dataclass(frozen=True, slots=True)
class TerminationVat:
    taxable: Decimal  # the tax-inclusive amount invoiced
    tax: Decimal
    principal_tax: Decimal  # out of 待转销项税额 (直租)
    fee_tax: Decimal  # out of fee income (违约金 and 留购价)
    interest_tax: Decimal  # out of interest income


def _deferred_in(invoice_ids: list[int]) -> Decimal:
    """The 待转销项税额 these (blue) invoices moved out; their red-letter invoices put it back."""
    total = JournalLine.objects.filter(
        entry__source_type="invoice", entry__source_id__in=[str(i) for i in invoice_ids],
        entry__reverses__isnull=True, account__code=A.VAT_OUTPUT_DEFERRED, side="D",
    ).aggregate(total=Sum("amount"))["total"]  # fmt: skip
    return total or ZERO


def _rent_invoices(rows: list[LoanScheduleRow]):
    return blue_invoices("lease_rent", [r.pk for r in rows])


def termination_vat(
    *, loan: Loan, principal: Decimal, interest: Decimal, fee: Decimal, deferred_left: Decimal,
    on: dt.date,
) -> TerminationVat:  # fmt: skip
    rate = vat_rate(kind=LEASE_VAT_KIND[loan.contract_type], on=on)
    taxable = interest + fee + (principal if loan.contract_type == "direct_lease" else ZERO)
    tax = tax_inclusive_part(taxable, rate)
    principal_tax = min(deferred_left, tax) if loan.contract_type == "direct_lease" else ZERO
    fee_tax = min(tax_inclusive_part(fee, rate), tax - principal_tax)
    return TerminationVat(taxable, tax, principal_tax, fee_tax, tax - principal_tax - fee_tax)


def termination_vat_of(loan: Loan, record: PayoffQuoteRecord, cancelled: list[LoanScheduleRow]):
    deferred = loan_balances(loan_id=loan.pk).get(A.VAT_OUTPUT_DEFERRED, ZERO)
    deferred += _deferred_in([i.pk for i in _rent_invoices(cancelled)])
    return termination_vat(
        loan=loan, principal=record.outstanding_principal, interest=record.accrued_interest,
        fee=record.early_settlement_fee, deferred_left=deferred, on=record.as_of,
    )  # fmt: skip


def lease_terminate_locked(
    *, loan: Loan, quote: PayoffQuoteRecord, cancelled: list[LoanScheduleRow],
    business_date: dt.date, actor: Any,
) -> None:  # fmt: skip
    """The locked lease was settled on `quote` (early settlement calls this before closing it)."""
    reason = _("提前终止租赁，报价 #%(q)s") % {"q": quote.pk}
    vat = termination_vat_of(loan, quote, cancelled)
    try:
        with transaction.atomic():
            for invoice in _rent_invoices(cancelled):
                invoice_red_letter(invoice=invoice, on=business_date, actor=actor, reason=reason)
            lease_invoice_issue(
                loan=loan, source_type="lease_termination", source_id=quote.pk,
                item=_("提前终止结清款"), total=vat.taxable, on=business_date, actor=actor,
                tax_lines=[(A.VAT_OUTPUT_DEFERRED, vat.principal_tax), (A.FEE_INCOME, vat.fee_tax),
                           (A.INTEREST_INCOME, vat.interest_tax)],
            )  # fmt: skip
    except InvoiceError as exc:  # money received is never refused: the desk retries the invoices
        audit_record(actor=actor, obj=loan, action="lease_invoice_failed", reason=str(exc))
    unearned = loan_balances(loan_id=loan.pk).get(A.LEASE_PAYMENTS_UNEARNED, ZERO)
    if unearned > 0:
        journal_post(
            business_date=business_date, source_type=SourceType.EARLY_SETTLEMENT,
            source_id=quote.pk, idempotency_key=f"lease-unearned-release:{quote.pk}",
            lines=[(A.UNEARNED_FINANCE_INCOME, "D", unearned, loan.pk),
                   (A.LEASE_PAYMENTS_UNEARNED, "C", unearned, loan.pk)],
            description=memo("lease_termination_unearned"), actor=actor, loan_id=loan.pk,
        )  # fmt: skip
