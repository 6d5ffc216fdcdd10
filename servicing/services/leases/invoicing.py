"""A lease's e-fapiao (decision 0014): the rent invoice at its tax point (the due date, paid or
not), the 价外费用 invoice when a penalty is received, and the output VAT each posts.

The VAT of a rent is `rent_vat` (servicing.services.leases.vat); the invoice is `invoice_issue`
(servicing.services.invoicing: rate from the dated table, buyer ID checked, tax platform). A
rent is invoiced once (LeaseInvoiceLine, unique per row): per rent (source_type "lease_rent",
source_id = the row id) or, with setting LEASE_INVOICE_GROUPING = "month", one invoice per lease
per month ("<loan_id>:<yyyy-mm>") once every rent of that month is due. Each invoice posts:
Dr vat_output_deferred its principal_tax (直租), Dr interest income (a charge: penalty income)
its interest_tax / Cr vat_output its tax. Any refusal leaves nothing issued and nothing posted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.money import ZERO
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.invoices import Invoice
from servicing.models.lease_invoices import LeaseInvoiceKind, LeaseInvoiceLine, LeaseInvoiceRefusal
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.selectors.ledger import loan_balances
from servicing.services.invoicing import InvoiceError, invoice_issue, vat_rate
from servicing.services.leases.invoices import lessee_buyer
from servicing.services.leases.vat import LEASE_VAT_KIND, RentVat, charge_vat, is_lease, rent_vat
from servicing.services.ledger.posting import journal_post

ITEM_NAMES = {
    "direct_lease": "*有形动产融资租赁服务*租金",
    "sale_leaseback": "*贷款服务*融资租赁利息",
}
CHARGE_ITEM_NAMES = {
    "direct_lease": "*有形动产融资租赁服务*价外费用（罚息、违约金）",
    "sale_leaseback": "*贷款服务*价外费用（罚息、违约金）",
}


def _deferred_left(loan: Loan) -> Decimal:
    return loan_balances(loan_id=loan.pk).get(A.VAT_OUTPUT_DEFERRED, ZERO)


def _last_row_no(loan: Loan) -> int:
    return (
        LoanScheduleRow.objects.filter(loan=loan, superseded_by_version__isnull=True)
        .order_by("-instalment_no")
        .values_list("instalment_no", flat=True)
        .first()
    )


def rents_vat(loan: Loan, rows: Sequence[LoanScheduleRow], rate: Decimal) -> list[RentVat]:
    """Each row's split, 待转销项税额 moved out row by row (the last row takes what is left)."""
    left = _deferred_left(loan) if loan.contract_type == "direct_lease" else None
    last = _last_row_no(loan)
    splits = []
    for row in rows:
        vat = rent_vat(
            contract_type=loan.contract_type, principal=row.principal, interest=row.interest,
            fee=row.fee, rate=rate, deferred_left=left, last=row.instalment_no == last,
        )  # fmt: skip
        if left is not None:
            left -= vat.principal_tax
        splits.append(vat)
    return splits


def _vat_post(invoice: Invoice, lines: list[LeaseInvoiceLine], *, on: dt.date, actor: Any) -> None:
    principal_tax = sum((x.principal_tax for x in lines), ZERO)
    interest_tax = sum((x.interest_tax for x in lines), ZERO)
    income = A.PENALTY_INCOME if lines[0].kind == LeaseInvoiceKind.CHARGE else A.INTEREST_INCOME
    loan_id = lines[0].loan_id
    ledger = [(A.VAT_OUTPUT, "C", invoice.tax, loan_id)]
    if principal_tax:
        ledger.append((A.VAT_OUTPUT_DEFERRED, "D", principal_tax, loan_id))
    if interest_tax:  # a last rent's rounding can leave it below zero
        ledger.append((income, "D" if interest_tax > 0 else "C", abs(interest_tax), loan_id))
    if invoice.tax:
        journal_post(
            business_date=on, source_type="invoice", source_id=invoice.pk, lines=ledger,
            idempotency_key=f"lease-vat:{invoice.pk}",
            description=memo("invoice_vat", number=invoice.number), actor=actor, loan_id=loan_id,
        )  # fmt: skip


def rents_invoice(
    *, loan: Loan, rows: Sequence[LoanScheduleRow], source_id: str, on: dt.date, actor: Any
) -> Invoice:
    """Invoice due rents of one lease as one invoice and post its VAT, all or nothing
    (InvoiceError: nothing issued, nothing posted)."""
    if not is_lease(loan):
        raise InvoiceError(
            _("合同 %(ref)s 不是融资租赁合同，不开具租金发票。") % {"ref": loan.contract_ref}
        )
    future = [r for r in rows if r.due_date > on]
    if future:
        raise InvoiceError(
            _("第 %(no)s 期租金 %(due)s 才到期，未到纳税义务发生日，不能提前开票。")
            % {"no": future[0].instalment_no, "due": future[0].due_date.isoformat()}
        )
    kind = LEASE_VAT_KIND[loan.contract_type]
    rate = vat_rate(kind=kind, on=on)
    splits = rents_vat(loan, rows, rate)
    total = sum((v.taxable for v in splits), ZERO)
    if total <= 0:
        raise InvoiceError(_("本期租金无应税金额，无需开票。"))
    name, buyer_id = lessee_buyer(loan)
    with transaction.atomic():
        invoice = invoice_issue(
            source_type=LeaseInvoiceKind.RENT, source_id=source_id, kind=kind,
            item_name=ITEM_NAMES[loan.contract_type], buyer_name=name, buyer_taxpayer_id=buyer_id,
            total=total, on=on, actor=actor,
        )  # fmt: skip
        if LeaseInvoiceLine.objects.filter(invoice=invoice).exists():
            return invoice  # issued before (idempotent per source)
        lines = [
            LeaseInvoiceLine(
                invoice=invoice,
                loan=loan,
                kind=LeaseInvoiceKind.RENT,
                row=row,
                tax_point=row.due_date,
                taxable=v.taxable,
                tax=v.tax,
                principal_tax=v.principal_tax,
                interest_tax=v.interest_tax,
            )  # fmt: skip
            for row, v in zip(rows, splits, strict=True)
            if v.taxable > 0
        ]
        # one invoice's tax is rounded once: its last line takes the difference of the sum
        lines[-1].tax += invoice.tax - sum((x.tax for x in lines), ZERO)
        lines[-1].interest_tax = lines[-1].tax - lines[-1].principal_tax
        LeaseInvoiceLine.objects.bulk_create(lines)
        _vat_post(invoice, lines, on=on, actor=actor)
    return invoice


def charge_invoice(
    *, loan: Loan, repayment_id: int, amount: Decimal, received_on: dt.date, on: dt.date,
    actor: Any,
) -> Invoice:  # fmt: skip
    """The 价外费用 a repayment paid (penalty interest, late fees, 违约金), invoiced whole at the
    lease's rate, its VAT out of penalty income."""
    kind = LEASE_VAT_KIND[loan.contract_type]
    vat = charge_vat(
        contract_type=loan.contract_type, amount=amount, rate=vat_rate(kind=kind, on=on)
    )
    name, buyer_id = lessee_buyer(loan)
    with transaction.atomic():
        invoice = invoice_issue(
            source_type=LeaseInvoiceKind.CHARGE, source_id=repayment_id, kind=kind,
            item_name=CHARGE_ITEM_NAMES[loan.contract_type], buyer_name=name,
            buyer_taxpayer_id=buyer_id, total=amount, on=on, actor=actor,
        )  # fmt: skip
        if LeaseInvoiceLine.objects.filter(invoice=invoice).exists():
            return invoice
        line = LeaseInvoiceLine.objects.create(
            invoice=invoice, loan=loan, kind=LeaseInvoiceKind.CHARGE, repayment_id=repayment_id,
            tax_point=received_on, taxable=vat.taxable, tax=vat.tax, principal_tax=vat.principal_tax,
            interest_tax=vat.interest_tax,
        )  # fmt: skip
        _vat_post(invoice, [line], on=on, actor=actor)
    return invoice


def lease_rent_invoice(*, row: LoanScheduleRow, on: dt.date, actor: Any) -> Invoice:
    """One rent's invoice, the batch's (one invoice per rent) and an operator's (e.g. after
    fixing the buyer's ID the batch refused): refused for a rent not yet due, one superseded,
    or one already invoiced. The caller has the row (the batch, a chunk's rows in one query)."""
    if row.superseded_by_version is not None:
        raise InvoiceError(_("该期租金已被新的租金计划取代，不能开票。"))
    done = LeaseInvoiceLine.objects.filter(row=row, kind=LeaseInvoiceKind.RENT).first()
    if done is not None:
        raise InvoiceError(
            _("第 %(no)s 期租金已开具发票 %(number)s。")
            % {"no": row.instalment_no, "number": done.invoice.number}
        )
    invoice = rents_invoice(loan=row.loan, rows=[row], source_id=str(row.pk), on=on, actor=actor)
    refusals_resolve(LeaseInvoiceKind.RENT, str(row.pk))
    return invoice


def refusals_resolve(source_type: str, source_id: str) -> int:
    """An invoice issued: the refusals recorded for its source are done."""
    return LeaseInvoiceRefusal.objects.filter(
        source_type=source_type, source_id=source_id, resolved=False
    ).update(resolved=True)


def refusal_record(*, loan: Loan, source_type: str, source_id: str, on: dt.date, reason: str):
    """A rent or charge refused (tax platform, buyer ID, rate): one open record per source for
    operations, its reason and date the latest attempt's."""
    open_one = LeaseInvoiceRefusal.objects.filter(
        source_type=source_type, source_id=source_id, resolved=False
    ).first()
    if open_one is not None:
        open_one.reason, open_one.business_date = reason, on
        open_one.save(update_fields=["reason", "business_date"])
        return open_one
    return LeaseInvoiceRefusal.objects.create(
        loan=loan, source_type=source_type, source_id=source_id, business_date=on, reason=reason
    )
