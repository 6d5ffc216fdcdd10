"""Charge-off (核销): the loan's receivables written off, and the loan closed.

The loan's loan-loss allowance (its ECL in the latest posted provision run) is used first,
against the principal: Dr loan-loss allowance / Cr principal receivable for the provided part;
what the allowance does not cover goes to charge-off expense. An allowance larger than the
principal left is used up to the principal; the rest is released by the next provision run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.money import ZERO
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanStatus
from servicing.selectors.ledger import loan_balances
from servicing.selectors.provisions import loan_allowance
from servicing.services.leases.accounting import lease_unearned_sync
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError, loan_lock, posting_date
from servicing.services.loans.status import loan_status_set
from servicing.services.oem.subsidy import oem_subsidy_end_locked


def loan_charge_off(
    *, loan_id: int, actor: Any, reason: str, business_date: dt.date | None = None
) -> Loan:
    """Write the loan's receivables off (核销), using its allowance first, and close it."""

    if not (reason or "").strip():
        raise LoanError(_("核销必须填写原因。"), field="reason")
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        if loan.status in CLOSED_STATUSES:
            raise LoanError(_("贷款已结清或已核销，不能核销。"))
        balances = loan_balances(loan_id=loan.pk)
        lines = []
        total = ZERO
        for code in (A.PRINCIPAL_RECEIVABLE, A.INTEREST_RECEIVABLE, A.FEE_RECEIVABLE,
                     A.PENALTY_RECEIVABLE):  # fmt: skip
            amount = balances.get(code, ZERO)
            if amount > 0:
                lines.append((code, "C", amount, loan.pk))
                total += amount
            elif amount < 0:
                lines.append((code, "D", -amount, loan.pk))
                total += amount
        principal = max(balances.get(A.PRINCIPAL_RECEIVABLE, ZERO), ZERO)
        used = min(loan_allowance(loan_id=loan.pk), principal, max(total, ZERO))
        if used > 0:
            lines.append((A.LOAN_LOSS_ALLOWANCE, "D", used, loan.pk))
        if total - used > 0:
            lines.append((A.CHARGE_OFF_EXPENSE, "D", total - used, loan.pk))
        if total > 0:
            journal_post(
                business_date=date,
                source_type=SourceType.CHARGE_OFF,
                source_id=loan.pk,
                lines=lines,
                idempotency_key=f"charge-off:{loan.pk}",
                description=memo("charge_off"),
                actor=actor,
                loan_id=loan.pk,
            )
        loan_status_set(
            loan=loan, to=LoanStatus.CHARGED_OFF, business_date=date, actor=actor, reason=reason
        )
        oem_subsidy_end_locked(loan=loan, on=date, actor=actor)
        lease_unearned_sync(loan=loan, on=date, actor=actor, key="charge-off")
    return loan
