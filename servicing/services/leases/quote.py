"""The early-termination quote of a lease (提前终止报价): the payoff engine's quote (which adds
the unpaid 留购价 for a lease, whichever page asks) with the 违约金, the 留购价 and the VAT inside
it shown apart (see `termination`, which settles it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.roles import MoneyAction, can_move_money
from servicing.models.loans import Loan, PayoffQuoteRecord
from servicing.services.leases.closing import lease_buyout_unpaid
from servicing.services.leases.termination import TerminationVat, termination_vat_of
from servicing.services.leases.vat import LEASE_VAT_KIND
from servicing.services.loans.account import LoanError
from servicing.services.settlement.early import payoff_quote_issue


@dataclass(frozen=True, slots=True)
class TerminationQuote:
    record: PayoffQuoteRecord
    termination_fee: Decimal  # 违约金
    buyout: Decimal  # 留购价
    vat: TerminationVat


def lease_termination_quote(
    *, loan_id: int, actor: Any, as_of: dt.date | None = None, idempotency_key: str | None = None
) -> TerminationQuote:
    """The early-termination quote of a lease: the customer asks for their own, the servicing
    desk for any (the same payoff engine and record as a loan's early settlement)."""
    loan = Loan.objects.get(pk=loan_id)
    if loan.contract_type not in LEASE_VAT_KIND:
        raise LoanError(_("该合同不是融资租赁合同。"))
    own = getattr(actor, "pk", None) == loan.customer_id
    if (
        not isinstance(actor, str)
        and not own
        and not can_move_money(actor, MoneyAction.LEASE_END_OF_TERM)
    ):
        raise LoanError(_("您无权为该合同办理提前终止。"), code="forbidden")
    record = payoff_quote_issue(
        loan_id=loan_id, actor=actor, as_of=as_of, idempotency_key=idempotency_key,
    )  # fmt: skip
    cancelled = [r for r in loan.schedule_rows() if r.amount_paid == 0 and r.status != "paid"]
    buyout = lease_buyout_unpaid(loan, cancelled)
    return TerminationQuote(
        record=record, termination_fee=record.early_settlement_fee - buyout, buyout=buyout,
        vat=termination_vat_of(loan, record, cancelled),
    )  # fmt: skip
