"""What the servicing agent's loan page shows of a lease's end of term (eot): the asset, the
title-transfer task, a return and its sale, what is still owed, the lease's invoices."""

from __future__ import annotations

from autofin.approvals import approval_request_pending_for
from autofin.roles import MoneyAction, can_move_money
from servicing.forms.lease_end import LeaseRemarketForm, LeaseReturnForm
from servicing.models.invoices import Invoice
from servicing.models.lease_end import LeaseReturn, LeaseTitleTransfer
from servicing.models.leases import LeaseAsset
from servicing.models.loans import Loan
from servicing.selectors.leases import invoices_of_loan
from servicing.services.leases.end_of_term import (
    LEASE_SHORTFALL_ABSORB,
    residual_shortfall,
    shortfall_absorbed_by_contract,
)
from servicing.services.leases.vat import is_lease


def lease_end_context(request, loan: Loan) -> dict:
    """What the loan page shows of a lease's end of term (nothing for a loan)."""
    if not is_lease(loan):
        return {}
    asset = LeaseAsset.objects.filter(loan=loan).first()
    return {
        "lease_asset": asset,
        "lease_can_act": can_move_money(request.user, MoneyAction.LEASE_END_OF_TERM),
        "lease_transfer": LeaseTitleTransfer.objects.filter(asset=asset).first() if asset else None,
        "lease_return": LeaseReturn.objects.filter(asset=asset).first() if asset else None,
        "lease_owed": residual_shortfall(loan),
        "lease_invoices": Invoice.objects.filter(pk__in=_invoice_ids(loan)).order_by("id"),
        "lease_absorbable": shortfall_absorbed_by_contract(loan),
        "lease_absorb_pending": approval_request_pending_for(
            action=LEASE_SHORTFALL_ABSORB, target=loan
        ),
        "lease_return_form": LeaseReturnForm(),
        "lease_remarket_form": LeaseRemarketForm(),
    }


def _invoice_ids(loan: Loan) -> list[int]:
    return list(invoices_of_loan(loan=loan).values_list("pk", flat=True))
