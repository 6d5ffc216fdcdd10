"""Issuing the lender's electronic invoices (数电发票) through the `Invoicing` adapter: the VAT
rate of the service on the day from the dated table, the buyer's taxpayer ID checked before the
platform is asked, the tax split out of a tax-inclusive total, a red-letter invoice to reverse.

Shared by every seller-side invoice (OEM subsidy claims now, lease rents next): the caller says
what the invoice is for (`source_type`, `source_id`; one blue invoice per source) and posts the
output VAT with `invoice_vat_post` (the pair for income booked tax-inclusive).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from autofin.audit import audit_record
from autofin.money import quantize_fen
from servicing.memos import memo
from servicing.models.invoices import Invoice, InvoiceColour, VatKind, VatRate
from servicing.models.ledger import AccountCode as A
from servicing.partner_adapters import InvoiceRejected, InvoiceRequest, invoicing_adapter
from servicing.services.ledger.posting import journal_post


class InvoiceError(Exception):
    """An invoice refused before or by the tax platform; nothing was issued."""


def vat_rate(*, kind: str, on: dt.date) -> Decimal:
    """The rate of `kind` in force on `on`; a date the table does not cover is an error."""
    rate = (
        VatRate.objects.filter(kind=kind, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise InvoiceError(
            _("增值税税率表中没有 %(kind)s 在 %(date)s 适用的税率，请先维护税率。")
            % {"kind": VatKind(kind).label, "date": on.isoformat()}
        )
    return rate


def tax_of_inclusive(total: Decimal, rate: Decimal) -> Decimal:
    """The tax in a tax-inclusive total: total x rate / (1 + rate), ROUND_HALF_UP per invoice."""
    return quantize_fen(total * rate / (1 + rate), ROUND_HALF_UP)


def buyer_taxpayer_id_clean(value: str) -> str:
    """A company's 统一社会信用代码 (GB 32100 check character) or a person's ID number (GB 11643
    check digit), compact and upper-case; anything else is refused."""
    value = (value or "").strip().upper()
    for validator in (stdnum_uscc, stdnum_ric):
        try:
            return validator.validate(value)
        except ValidationError:
            continue
    raise InvoiceError(
        _("购买方纳税人识别号“%(id)s”不是有效的统一社会信用代码或身份证号码，发票未开具。")
        % {"id": value}
    )


def invoice_issue(
    *, source_type: str, source_id: str | int, kind: str, item_name: str, buyer_name: str,
    buyer_taxpayer_id: str, total: Decimal, on: dt.date, actor: Any,
) -> Invoice:  # fmt: skip
    """Issue the blue invoice of a tax-inclusive `total` (idempotent per source)."""
    existing = Invoice.objects.filter(
        source_type=source_type, source_id=str(source_id), colour=InvoiceColour.BLUE
    ).first()
    if existing:
        return existing
    if not (buyer_name or "").strip():
        raise InvoiceError(_("购买方名称不能为空，发票未开具。"))
    buyer_id = buyer_taxpayer_id_clean(buyer_taxpayer_id)
    rate = vat_rate(kind=kind, on=on)
    tax = tax_of_inclusive(total, rate)
    request = InvoiceRequest(
        colour=InvoiceColour.BLUE, seller_name=settings.INVOICE_SELLER_NAME,
        seller_taxpayer_id=settings.INVOICE_SELLER_TAXPAYER_ID, buyer_name=buyer_name,
        buyer_taxpayer_id=buyer_id, item_name=item_name, amount=total - tax, rate=rate, tax=tax,
        total=total, issued_on=on,
    )  # fmt: skip
    return _issue(request, source_type=source_type, source_id=source_id, kind=kind, actor=actor)


def invoice_reverse(*, invoice_id: int, on: dt.date, actor: Any) -> Invoice:
    """The red-letter invoice (红字发票) that reverses a blue one in full (idempotent)."""
    with transaction.atomic():
        blue = Invoice.objects.select_for_update().get(pk=invoice_id)
        red = Invoice.objects.filter(reverses=blue).first()
        if red:
            return red
        if blue.colour != InvoiceColour.BLUE:
            raise InvoiceError(_("红字发票不能再冲红。"))
        request = InvoiceRequest(
            colour=InvoiceColour.RED, seller_name=blue.seller_name,
            seller_taxpayer_id=blue.seller_taxpayer_id, buyer_name=blue.buyer_name,
            buyer_taxpayer_id=blue.buyer_taxpayer_id, item_name=blue.item_name,
            amount=-blue.amount, rate=blue.rate, tax=-blue.tax, total=-blue.total, issued_on=on,
            original_number=blue.number,
        )  # fmt: skip
        return _issue(
            request, source_type=blue.source_type, source_id=blue.source_id, kind=blue.kind,
            actor=actor, reverses=blue,
        )  # fmt: skip


def _issue(
    request: InvoiceRequest, *, source_type: str, source_id: str | int, kind: str, actor: Any,
    reverses: Invoice | None = None,
) -> Invoice:  # fmt: skip
    try:
        number = invoicing_adapter().issue(request)
    except InvoiceRejected as exc:
        raise InvoiceError(_("税务平台拒绝开具发票：%(reason)s") % {"reason": exc}) from exc
    invoice = Invoice.objects.create(
        number=number, colour=request.colour, issued_on=request.issued_on,
        source_type=source_type, source_id=str(source_id), seller_name=request.seller_name,
        seller_taxpayer_id=request.seller_taxpayer_id, buyer_name=request.buyer_name,
        buyer_taxpayer_id=request.buyer_taxpayer_id, item_name=request.item_name, kind=kind,
        amount=request.amount, rate=request.rate, tax=request.tax, total=request.total,
        reverses=reverses,
    )  # fmt: skip
    audit_record(actor=actor, obj=invoice, action="invoice_issue", to_state=request.colour,
                 data={"total": str(request.total), "tax": str(request.tax)})  # fmt: skip
    return invoice


def invoice_vat_post(
    invoice: Invoice, *, income_account: str, on: dt.date, actor: Any, loan_id: int | None = None
) -> None:
    """Take an invoice's tax out of income already booked tax-inclusive: Dr income / Cr
    vat_output (a red-letter invoice the other way round). Once per invoice."""
    tax = abs(invoice.tax)
    if not tax:
        return
    blue = invoice.colour == InvoiceColour.BLUE
    journal_post(
        business_date=on, source_type="invoice", source_id=invoice.pk,
        lines=[(income_account, "D" if blue else "C", tax, loan_id),
               (A.VAT_OUTPUT, "C" if blue else "D", tax)],
        idempotency_key=f"invoice-vat:{invoice.pk}",
        description=memo("invoice_vat", number=invoice.number), actor=actor,
    )  # fmt: skip
