"""What early settlement, partial prepayment and restructuring share: the product's fee rate and
lock-in, the unpaid rows, the no-arrears check, the accrual catch-up to a date, and the fallback
that posts a payment which cannot settle or prepay as an ordinary instalment payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.money import to_decimal
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import Loan, LoanScheduleRow, RowStatus
from servicing.models.repayments import Repayment, RepaymentPurpose
from servicing.services.accrual import (
    LOAN_ACCRUAL_FIELDS,
    interest_accrue_in_memory,
    signed_lines,
)
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError
from servicing.services.repayments.apply import repayment_apply_locked


def product_terms(loan: Loan) -> tuple[Decimal, int]:
    rules = loan.product_rules or {}
    return (
        to_decimal(rules.get("early_settlement_fee_rate") or "0"),
        int(rules.get("lock_in_months") or 0),
    )


def rows_unpaid(rows: list[LoanScheduleRow]) -> list[LoanScheduleRow]:
    return sorted(
        (r for r in rows if r.status != RowStatus.PAID and r.superseded_by_version is None),
        key=lambda r: r.instalment_no,
    )


def no_arrears_check(rows: list[LoanScheduleRow], on: dt.date) -> list[LoanScheduleRow]:
    unpaid = rows_unpaid(rows)
    if not unpaid:
        raise LoanError(_("该贷款已无未还期供。"))
    if any(r.due_date < on and r.amount_unpaid > 0 for r in unpaid):
        raise LoanError(_("请先还清逾期款项，再办理提前还款。"), code="arrears")
    if unpaid[0].amount_paid > 0:
        raise LoanError(
            _("本期期供已部分还款，请在本期还款日之后再办理。"), code="current_partially_paid"
        )
    return unpaid


def accrual_catch_up(
    *, loan: Loan, rows: list[LoanScheduleRow], through: dt.date, business_date: dt.date, actor: Any,
    save: bool = True,
) -> None:  # fmt: skip
    """Post accrual (and true-ups) up to `through` if the nightly batch has not yet. With
    `save=False` the loan's accrual fields are changed in memory only: the caller saves them
    (LOAN_ACCRUAL_FIELDS) with its own change of the loan, in one statement."""
    if loan.accrued_through >= through:
        return
    start = loan.accrued_through
    in_force = sorted(
        (r for r in rows if r.superseded_by_version is None), key=lambda r: r.instalment_no
    )
    interest, fees, _reached = interest_accrue_in_memory(loan, in_force, through)
    lines = signed_lines(A.INTEREST_RECEIVABLE, A.INTEREST_INCOME, interest, loan.pk)
    lines += signed_lines(A.FEE_RECEIVABLE, A.FEE_INCOME, fees, loan.pk)
    if lines:
        journal_post(
            business_date=business_date,
            source_type=SourceType.ACCRUAL,
            source_id=loan.pk,
            lines=lines,
            idempotency_key=f"accrual:{loan.pk}:{start}:{through}",
            description=memo("interest_accrual", start=start, through=through),
            actor=actor,
            loan_id=loan.pk,
        )
    if save:
        loan.save(update_fields=[*LOAN_ACCRUAL_FIELDS, "updated_at"])


def instalment_fallback(
    *, loan, rows, repayment: Repayment, business_date, actor, reason: str
) -> Repayment:

    repayment.purpose = RepaymentPurpose.INSTALMENT
    repayment.effects = {"fallback": reason}
    repayment.save(update_fields=["purpose", "effects"])
    open_rows = [r for r in rows if r.superseded_by_version is None and r.status != RowStatus.PAID]
    return repayment_apply_locked(
        loan=loan, rows=open_rows, repayment=repayment, business_date=business_date, actor=actor
    )
