"""Lease loans for the end-of-term tests: a loan funded by the real path, its contract type set
to a lease and its asset registered (slb's funding does both in production), and the
commencement entry and a rent's invoice by the real `lease_commence` and `rents_invoice`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from autofin.money import quantize_fen
from servicing.models.leases import LeaseAsset, RegistrationStatus
from servicing.models.loans import Loan
from servicing.services.leases.accounting import lease_commence
from servicing.services.leases.invoicing import rents_invoice
from tests.servicing.loan_helpers import D, make_loan


def lease_make(*, contract_type="direct_lease", buyout="100.00", residual="0.00", mortgaged=False,
               commence=True, **loan_kwargs) -> Loan:  # fmt: skip
    loan = make_loan(fee="0.00", **loan_kwargs)
    Loan.objects.filter(pk=loan.pk).update(contract_type=contract_type)
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
        lease_commence(loan=loan, on=loan.value_date, actor="test")
    return loan


def rent_invoice(loan: Loan, row):
    """The rent's invoice on its due date, as the nightly `lease_invoicing` issues it."""
    return rents_invoice(loan=loan, rows=[row], source_id=str(row.pk), on=row.due_date,
                         actor="batch")  # fmt: skip
