"""Step 22 — lease invoicing (租金开票), right after rents fall due.

Set-based selection over the chunk's lease loans (直租, 售后回租) of every rent in force due on
or before business date D with no invoice yet (catch-up safe: a day missed is caught up), and
of every penalty (价外费用) a posted repayment on or before D paid with no invoice yet. Each is
issued through `servicing.services.leases.invoicing` (the tax platform assigns the number; the
VAT of decision 0014 is posted per invoice, keyed by it). Grouping by setting
LEASE_INVOICE_GROUPING: "rent" (one invoice per rent) or "month" (one per lease per month, once
every rent of that month is due). A refusal (tax platform, buyer ID, missing rate) is recorded
as a LeaseInvoiceRefusal for operations and the batch goes on; a re-run issues nothing twice
(one invoice line per rent and per repayment, unique in the database).
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, rows
from servicing.models.lease_invoices import LeaseInvoiceKind, LeaseInvoiceRefusal
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.services.invoicing import InvoiceError
from servicing.services.leases.accounting import LEASE_TYPES_SQL
from servicing.services.leases.invoicing import (
    charge_invoice,
    lease_rent_invoice,
    refusal_record,
    refusals_resolve,
    rents_invoice,
)

# a rent due and not invoiced; a closed lease's rents only up to its closing (its last rent
# paid early or on the day, a settlement row): those fall due before the loan closes
UNINVOICED = f"""
  FROM servicing_loanschedulerow r
  JOIN servicing_loan ll ON ll.id = r.loan_id
 WHERE r.superseded_by_version IS NULL AND r.due_date <= %(d)s::date
   AND (ll.status NOT IN {CLOSED_SQL} OR r.due_date <= ll.status_date)
   AND (r.interest + r.fee
        + CASE WHEN ll.contract_type = 'sale_leaseback' THEN 0 ELSE r.principal END) > 0
   AND NOT EXISTS (SELECT 1 FROM servicing_leaseinvoiceline x
                    WHERE x.row_id = r.id AND x.kind = 'lease_rent')
   -- an early termination invoiced everything from its date on (services.leases.termination)
   AND NOT EXISTS (SELECT 1 FROM servicing_invoice i
                     JOIN servicing_payoffquoterecord q ON i.source_id = q.id::text
                    WHERE i.source_type = 'lease_termination' AND i.colour = 'blue'
                      AND q.loan_id = r.loan_id AND r.due_date >= q.as_of)
"""  # noqa: S608 - SQL built from constants; values are bound

# a penalty (价外费用) a posted repayment paid, not invoiced
CHARGES = """
  FROM servicing_repayment p
  JOIN servicing_repaymentallocation a ON a.repayment_id = p.id AND a.component = 'penalty'
 WHERE p.status = 'posted' AND p.received_on <= %(d)s::date
   AND NOT EXISTS (SELECT 1 FROM servicing_leaseinvoiceline x
                    WHERE x.repayment_id = p.id AND x.kind = 'lease_charge')
"""

RENTS_DUE = f"""
SELECT r.id, r.loan_id, to_char(r.due_date, 'YYYY-MM') AS month
{UNINVOICED} AND r.loan_id = ANY(%(ids)s)
 ORDER BY r.loan_id, r.due_date, r.instalment_no
"""  # noqa: S608 - SQL built from constants; values are bound

# the chunk's leases: open ones, and closed ones with a rent left to invoice (locked, id order)
LEASES = f"""
SELECT l.id FROM servicing_loan l
 WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.contract_type IN {LEASE_TYPES_SQL}
   AND (l.status NOT IN {CLOSED_SQL}
        OR EXISTS (SELECT 1 {UNINVOICED} AND r.loan_id = l.id)
        OR EXISTS (SELECT 1 {CHARGES} AND p.loan_id = l.id))
 ORDER BY l.id
   FOR UPDATE OF l
"""  # noqa: S608 - SQL built from constants; values are bound

# a month is due when no row of the lease falls later in it
MONTH_OPEN = """
SELECT DISTINCT s.loan_id, to_char(s.due_date, 'YYYY-MM')
  FROM servicing_loanschedulerow s
 WHERE s.loan_id = ANY(%(ids)s) AND s.superseded_by_version IS NULL AND s.due_date > %(d)s::date
"""

CHARGES_RECEIVED = f"""
SELECT p.id, p.loan_id, p.received_on, sum(a.amount)
{CHARGES} AND p.loan_id = ANY(%(ids)s)
 GROUP BY p.id, p.loan_id, p.received_on
 ORDER BY p.loan_id, p.id
"""  # noqa: S608 - SQL built from constants; values are bound


def _groups(found: list[tuple], open_months: set[tuple[int, str]]) -> list[tuple[int, str, list]]:
    """(loan_id, source_id, row ids) per invoice under the setting's grouping."""
    if settings.LEASE_INVOICE_GROUPING != "month":
        return [(loan_id, str(row_id), [row_id]) for row_id, loan_id, _month in found]
    grouped: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row_id, loan_id, month in found:
        if (loan_id, month) not in open_months:
            grouped[(loan_id, month)].append(row_id)
    return [(loan_id, f"{loan_id}:{month}", ids) for (loan_id, month), ids in grouped.items()]


@register(code="lease_invoicing", label=_("融资租赁租金开票"), position=22)
def lease_invoicing_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    ids = [r[0] for r in rows(LEASES, {"lo": lo, "hi": hi, "d": d})]
    if not ids:
        return {"loans": 0}
    params = {"ids": ids, "d": d}
    found = rows(RENTS_DUE, params)
    open_months = {(r[0], r[1]) for r in rows(MONTH_OPEN, params)}
    charges = rows(CHARGES_RECEIVED, params)
    loans = Loan.objects.in_bulk(ids)
    # the due rows in one query (their loan ids prune the schedule's partitions) instead of
    # one look-up a rent, and the sources with an open refusal (most have none to resolve)
    due_rows = LoanScheduleRow.objects.filter(loan_id__in=ids, pk__in=[r[0] for r in found])
    by_id = {row.pk: row for row in due_rows}
    open_refusals = set(
        LeaseInvoiceRefusal.objects.filter(loan_id__in=ids, resolved=False).values_list(
            "source_type", "source_id"
        )
    )
    issued = refused = 0
    for loan_id, source_id, row_ids in _groups(found, open_months):
        loan = loans[loan_id]
        try:
            with transaction.atomic():
                in_order = sorted((by_id[i] for i in row_ids), key=lambda r: r.instalment_no)
                for row in in_order:
                    row.loan = loan
                if source_id == str(row_ids[0]):  # one invoice per rent: the operator's path too
                    lease_rent_invoice(row=in_order[0], on=d, actor=ctx.actor)
                else:
                    rents_invoice(
                        loan=loan, rows=in_order, source_id=source_id, on=d, actor=ctx.actor
                    )
                    if (LeaseInvoiceKind.RENT, source_id) in open_refusals:
                        refusals_resolve(LeaseInvoiceKind.RENT, source_id)
            issued += 1
        except InvoiceError as exc:
            refusal_record(
                loan=loan,
                source_type=LeaseInvoiceKind.RENT,
                source_id=source_id,
                on=d,
                reason=str(exc),
            )
            refused += 1
    for repayment_id, loan_id, received_on, amount in charges:
        loan = loans[loan_id]
        try:
            with transaction.atomic():
                charge_invoice(
                    loan=loan, repayment_id=repayment_id, amount=amount, received_on=received_on,
                    on=d, actor=ctx.actor,
                )  # fmt: skip
            if (LeaseInvoiceKind.CHARGE, str(repayment_id)) in open_refusals:
                refusals_resolve(LeaseInvoiceKind.CHARGE, str(repayment_id))
            issued += 1
        except InvoiceError as exc:
            refusal_record(
                loan=loan,
                source_type=LeaseInvoiceKind.CHARGE,
                source_id=str(repayment_id),
                on=d,
                reason=str(exc),
            )
            refused += 1
    return {"loans": len(ids), "invoices": issued, "refused": refused}
