"""A lease's own invoices beside the nightly rent invoices: who the buyer is, the invoice of a
charge received with its output VAT split to the accounts the money sits in, and the red-letter
invoice (红字发票) that reverses a blue one with its VAT (the mirror of the blue invoice's VAT
entry: Dr vat_output / Cr the income or 待转销项税额 it came out of).

Source types: "lease_buyout" (留购价: source_id = "<loan id>:<n>", n counting the blue ones), "lease_termination"
(the early-termination settlement: source_id = the payoff quote id), "lease_charge" (价外费用
received: source_id = the repayment id, so a reversed repayment finds its invoices).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt
from origination.models.applications import Applicant, ApplicantRole
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.invoices import Invoice, InvoiceColour
from servicing.models.ledger import JournalEntry
from servicing.models.loans import Loan
from servicing.services.invoicing import InvoiceError, invoice_issue, invoice_reverse
from servicing.services.leases.vat import LEASE_VAT_KIND
from servicing.services.ledger.posting import journal_post
from servicing.services.ledger.reversal import journal_entry_reverse

ITEM_NAMES = {
    "direct_lease": "*有形动产融资租赁服务*",
    "sale_leaseback": "*贷款服务*",
}


def lessee_buyer(loan: Loan) -> tuple[str, str]:
    """The invoice's buyer: the lessee (primary applicant) by name and ID number."""
    applicant = (
        Applicant.objects.filter(application_id=loan.application_id, role=ApplicantRole.PRIMARY)
        .only("name", "id_number_enc")
        .first()
    )
    if applicant is None:
        raise InvoiceError(_("找不到承租人信息，发票未开具。"))
    return applicant.name, decrypt(applicant.id_number_enc)


def lease_invoice_issue(
    *, loan: Loan, source_type: str, source_id: str | int, item: str, total: Decimal,
    tax_lines: list[tuple[str, Decimal]], on: dt.date, actor: Any,
) -> Invoice:  # fmt: skip
    """Issue the blue invoice of `total` (tax-inclusive) and post its tax: Dr each (account,
    tax part) of `tax_lines` / Cr vat_output. The parts must add up to the invoice's tax (the
    platform's figure, the same half-up rule): a mismatch is refused before anything posts."""
    name, id_number = lessee_buyer(loan)
    invoice = invoice_issue(
        source_type=source_type, source_id=source_id, kind=LEASE_VAT_KIND[loan.contract_type],
        item_name=ITEM_NAMES[loan.contract_type] + item, buyer_name=name,
        buyer_taxpayer_id=id_number, total=total, on=on, actor=actor,
    )  # fmt: skip
    lines = [(code, "D", amount, loan.pk) for code, amount in tax_lines if amount]
    if sum((amount for _c, _s, amount, _l in lines), Decimal("0.00")) != invoice.tax:
        raise InvoiceError(_("发票税额与入账税额不一致，发票未入账。"))
    if lines:
        journal_post(
            business_date=on, source_type="invoice", source_id=invoice.pk,
            lines=[*lines, (A.VAT_OUTPUT, "C", invoice.tax, loan.pk)],
            idempotency_key=f"invoice-vat:{invoice.pk}",
            description=memo("invoice_vat", number=invoice.number), actor=actor, loan_id=loan.pk,
        )  # fmt: skip
    return invoice


def invoice_red_letter(*, invoice: Invoice, on: dt.date, actor: Any, reason: str) -> Invoice:
    """The red-letter invoice of a blue one and the reversal of its VAT entry (idempotent)."""
    with transaction.atomic():
        red = invoice_reverse(invoice_id=invoice.pk, on=on, actor=actor)
        entry = JournalEntry.objects.filter(
            source_type="invoice", source_id=str(invoice.pk), reverses__isnull=True
        ).first()
        if entry is not None:
            journal_entry_reverse(entry_id=entry.pk, reason=reason, actor=actor, business_date=on)
        audit_record(actor=actor, obj=red, action="lease_invoice_red_letter", reason=reason,
                     data={"blue": invoice.number, "tax": str(red.tax)})  # fmt: skip
    return red


def blue_invoices(source_type: str, source_ids: list[str]) -> list[Invoice]:
    """The blue invoices of these sources not yet reversed."""
    return list(
        Invoice.objects.filter(
            source_type=source_type, source_id__in=[str(s) for s in source_ids],
            colour=InvoiceColour.BLUE, reversed_by__isnull=True,
        ).order_by("id")
    )  # fmt: skip
