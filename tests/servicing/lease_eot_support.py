"""Lease loans for the end-of-term tests: a loan funded by the real path, its contract type set
to a lease and its asset registered (slb's funding does both in production), and — standing in
for helper `lease`'s `lease_commence` and nightly `lease_invoicing` until they land — the
commencement entry and a rent's invoice posted by the design's rule (LEASE_DESIGN.md)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from autofin.crypto import encrypt
from autofin.money import quantize_fen
from origination.models.applications import Applicant
from servicing.models import AccountCode as A
from servicing.models.leases import LeaseAsset, RegistrationStatus
from servicing.models.loans import Loan
from servicing.selectors.ledger import loan_balances
from servicing.services.invoicing import vat_rate
from servicing.services.leases.invoices import lease_invoice_issue
from servicing.services.leases.vat import LEASE_VAT_KIND, rent_vat
from servicing.services.ledger.posting import journal_post
from tests.servicing.loan_helpers import D, make_loan, rows


def lease_make(*, contract_type="direct_lease", buyout="100.00", residual="0.00", mortgaged=False,
               commence=True, **loan_kwargs) -> Loan:  # fmt: skip
    loan = make_loan(fee="0.00", **loan_kwargs)
    Loan.objects.filter(pk=loan.pk).update(contract_type=contract_type)
    # the factory's ID numbers (region 310115, born 1988) fail stdnum's birth-place check, which
    # the invoice's buyer check applies: the lessee gets one that passes
    Applicant.objects.filter(application_id=loan.application_id, role="primary").update(
        id_number_enc=encrypt("11010519491231002X")
    )
    loan.refresh_from_db()
    vat = D("0.00")
    if contract_type == "direct_lease":
        vat = quantize_fen(loan.amount_financed * 13 / 113, ROUND_HALF_UP)
    LeaseAsset.objects.create(
        loan=loan, vin=loan.vin or "LSVAM4187C2184847", purchase_price=loan.amount_financed,
        purchase_vat=vat, buyout_price=D(buyout), residual_value=D(residual),
        registration_status=RegistrationStatus.MORTGAGED if mortgaged
        else RegistrationStatus.REGISTERED_TO_LESSOR,
    )  # fmt: skip
    if commence:
        interest = sum((r.interest for r in rows(loan)), D("0.00"))
        lines = [(A.LEASE_PAYMENTS_UNEARNED, "D", interest, loan.pk),
                 (A.UNEARNED_FINANCE_INCOME, "C", interest, loan.pk)]  # fmt: skip
        if vat:
            lines += [(A.VAT_INPUT, "D", vat, loan.pk), (A.VAT_OUTPUT_DEFERRED, "C", vat, loan.pk)]
        journal_post(
            business_date=loan.value_date, source_type="disbursement", source_id=loan.pk,
            lines=lines, idempotency_key=f"test-lease-commence:{loan.pk}", loan_id=loan.pk,
        )  # fmt: skip
    return loan


def rent_invoice(loan: Loan, row):
    """The rent's invoice on its due date as `lease_invoicing` will issue it (design rule)."""
    rate = vat_rate(kind=LEASE_VAT_KIND[loan.contract_type], on=row.due_date)
    left = loan_balances(loan_id=loan.pk).get(A.VAT_OUTPUT_DEFERRED, D("0.00"))
    last = row.instalment_no == loan.term_months
    vat = rent_vat(contract_type=loan.contract_type, principal=row.principal,
                   interest=row.interest, fee=D("0.00"), rate=rate, deferred_left=left, last=last)  # fmt: skip
    return lease_invoice_issue(
        loan=loan, source_type="lease_rent", source_id=row.pk, item="租金", total=vat.taxable,
        tax_lines=[(A.VAT_OUTPUT_DEFERRED, vat.principal_tax), (A.INTEREST_INCOME, vat.interest_tax)],
        on=row.due_date, actor="batch",
    )  # fmt: skip
