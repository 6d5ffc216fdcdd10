"""A lease closing and reopening, called by the loan's own closing code (kept free of the
repayment and settlement modules, which call it): paid off or settled, the asset is bought out,
the 留购价 invoiced and the title transfer (过户) opened — a mortgaged 售后回租 is released
through the loan's `MortgageRelease` instead; a reversed repayment red-letters the invoices it
carried and reopens a lease it had paid off. See `end_of_term` for the whole story."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO
from servicing.models import AccountCode as A
from servicing.models.invoices import Invoice, InvoiceColour
from servicing.models.lease_end import LeaseTitleTransfer, TitleTransferStatus
from servicing.models.leases import AssetStatus, LeaseAsset, RegistrationStatus
from servicing.models.loans import Loan, LoanScheduleRow, LoanStatus
from servicing.models.repayments import Repayment
from servicing.services.invoicing import InvoiceError, vat_rate
from servicing.services.leases.invoices import (
    blue_invoices,
    invoice_red_letter,
    lease_invoice_issue,
)
from servicing.services.leases.vat import LEASE_VAT_KIND, charge_vat, is_lease


def lease_buyout_unpaid(loan: Loan, unpaid: list[LoanScheduleRow]) -> Decimal:
    """The 留购价 billed with the last rent and not yet paid (an early settlement adds it to its
    quote: the payoff engine leaves unpaid rows' fees out). Zero for a loan."""
    if not is_lease(loan) or not unpaid:
        return ZERO
    asset = LeaseAsset.objects.filter(loan=loan).first()
    if asset is None or not asset.buyout_billed:
        return ZERO
    last = max(unpaid, key=lambda r: r.instalment_no)
    return min(asset.buyout_price, last.fee_unpaid)


def _asset(loan: Loan) -> LeaseAsset:
    return LeaseAsset.objects.select_for_update().get(loan=loan)


def buyout_invoice_issue(*, loan: Loan, on: dt.date, actor: Any):
    """The 留购价's invoice, its tax out of fee income (idempotent per lease)."""
    asset = LeaseAsset.objects.get(loan=loan)
    rate = vat_rate(kind=LEASE_VAT_KIND[loan.contract_type], on=on)
    vat = charge_vat(contract_type=loan.contract_type, amount=asset.buyout_price, rate=rate)
    # "<loan>:<n>": a buyout paid again after a reversal gets a new invoice
    earlier = Invoice.objects.filter(
        source_type="lease_buyout", source_id__startswith=f"{loan.pk}:", colour=InvoiceColour.BLUE
    )
    if (open_one := earlier.filter(reversed_by__isnull=True).first()) is not None:
        return open_one
    source_id = f"{loan.pk}:{earlier.count() + 1}"
    return lease_invoice_issue(
        loan=loan, source_type="lease_buyout", source_id=source_id, item=_("留购价款"),
        total=asset.buyout_price, tax_lines=[(A.FEE_INCOME, vat.tax)], on=on, actor=actor,
    )  # fmt: skip


def lease_closed_locked(*, loan: Loan, business_date: dt.date, actor: Any) -> bool:
    """The locked lease closed (paid off or settled): the asset is bought out, its title-transfer
    task opened and, paid off with a 留购价, the buyout invoiced. Returns True when the title
    moves by a transfer task; False when the caller opens the mortgage release (a mortgaged
    售后回租, whose customer kept the title)."""
    asset = _asset(loan)
    if asset.status in (AssetStatus.RETURNED, AssetStatus.SOLD, AssetStatus.WRITTEN_OFF):
        return True  # the car is back with the lessor: nothing to transfer or release
    if asset.status == AssetStatus.ON_LEASE:
        asset.status, asset.status_date = AssetStatus.BOUGHT_OUT, business_date
        asset.save(update_fields=["status", "status_date", "updated_at"])
        audit_record(actor=actor, obj=asset, action="lease_bought_out", to_state=asset.status)
    if loan.status == LoanStatus.PAID_OFF and asset.buyout_billed and asset.buyout_price:
        try:
            with transaction.atomic():
                buyout_invoice_issue(loan=loan, on=business_date, actor=actor)
        except InvoiceError as exc:  # money received is never refused: the desk retries
            audit_record(actor=actor, obj=asset, action="lease_invoice_failed", reason=str(exc))
    if asset.registration_status == RegistrationStatus.MORTGAGED:
        return False
    transfer, created = LeaseTitleTransfer.objects.get_or_create(
        asset=asset, defaults={"requested_on": business_date}
    )
    if not created and transfer.status == TitleTransferStatus.CANCELLED:
        transfer.status, transfer.requested_on = TitleTransferStatus.PENDING, business_date
        transfer.save(update_fields=["status", "requested_on"])
    audit_record(actor=actor, obj=transfer, action="lease_title_transfer_request",
                 to_state=transfer.status)  # fmt: skip
    return True


def lease_reopened_locked(
    *, loan: Loan, repayment: Repayment, was_closed: bool, business_date: dt.date, actor: Any
) -> None:
    """A lease repayment was reversed: the 价外费用 invoiced on it get red-letter invoices; a lease
    it had paid off is open again (buyout invoice red-lettered, title transfer cancelled, the
    asset on lease)."""
    reason = _("还款冲正 #%(id)s") % {"id": repayment.pk}
    invoices = blue_invoices("lease_charge", [repayment.pk])
    reopened = was_closed and not loan.is_closed
    if reopened:
        invoices += Invoice.objects.filter(
            source_type="lease_buyout", source_id__startswith=f"{loan.pk}:",
            colour=InvoiceColour.BLUE, reversed_by__isnull=True,
        )  # fmt: skip
    try:
        with transaction.atomic():
            for invoice in invoices:
                invoice_red_letter(invoice=invoice, on=business_date, actor=actor, reason=reason)
    except InvoiceError as exc:  # a bounced payment is reversed whatever the tax platform says
        audit_record(actor=actor, obj=loan, action="lease_invoice_failed", reason=str(exc))
    if not reopened:
        return
    asset = _asset(loan)
    LeaseTitleTransfer.objects.filter(asset=asset, status=TitleTransferStatus.PENDING).update(
        status=TitleTransferStatus.CANCELLED
    )
    if asset.status == AssetStatus.BOUGHT_OUT:
        asset.status, asset.status_date = AssetStatus.ON_LEASE, business_date
        asset.save(update_fields=["status", "status_date", "updated_at"])
        audit_record(actor=actor, obj=asset, action="lease_reopened", to_state=asset.status,
                     reason=reason)  # fmt: skip
