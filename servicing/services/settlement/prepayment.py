"""Partial prepayment (部分提前还款): its terms (the prepaid principal plus the fee on it, the
re-amortised schedule) and posting it on a locked loan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build
from autofin.business_date import business_date_for_posting
from autofin.money import quantize_fen, to_decimal
from autofin.pricing import (
    PricingError,
    Schedule,
    add_months,
    partial_prepayment,
)
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow
from servicing.models.repayments import Component, Repayment, RepaymentAllocation, RepaymentStatus
from servicing.services.accrual import LOAN_ACCRUAL_FIELDS
from servicing.services.hotpath import insert_part, parts_execute, update_part
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError
from servicing.services.loans.schedule import (
    pricing_schedule,
    schedule_rows_build,
    schedule_supersede,
)
from servicing.services.repayments.apply import ALLOCATION_FIELDS
from servicing.services.settlement.shared import (
    accrual_catch_up,
    instalment_fallback,
    no_arrears_check,
    product_terms,
    rows_unpaid,
)

# --- partial prepayment -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrepaymentTerms:
    prepay: Decimal
    fee: Decimal
    total: Decimal
    option: str
    schedule: Schedule


def prepayment_terms(
    *,
    loan: Loan,
    prepay_amount: Decimal | str | None,
    option: str,
    rows: list[LoanScheduleRow] | None = None,
    on: dt.date | None = None,
) -> PrepaymentTerms:
    """Check a partial prepayment and price it (fee and the new schedule); LoanError if refused."""
    on = on or business_date_for_posting()
    try:
        prepay = quantize_fen(prepay_amount)
    except (TypeError, ValueError):
        raise LoanError(_("请输入提前还本金额。"), field="prepay_amount") from None
    if prepay <= 0 or prepay != to_decimal(prepay_amount):
        raise LoanError(_("提前还本金额必须大于零且最多两位小数。"), field="prepay_amount")
    fee_rate, lock_in = product_terms(loan)
    lock_end = add_months(loan.value_date, lock_in)
    if on < lock_end:
        raise LoanError(
            _("提前还款锁定期内（至 %(d)s）不能提前还款。") % {"d": lock_end},
            field="prepay_amount",
            code="early_settlement_locked",
        )
    if loan.status in CLOSED_STATUSES:
        raise LoanError(_("贷款已结清。"))
    if rows is None:
        rows = list(loan.schedule_rows())
    unpaid = no_arrears_check(rows, on)
    try:
        schedule = partial_prepayment(
            pricing_schedule(loan=loan, rows=unpaid),
            paid_instalments=unpaid[0].instalment_no - 1,
            prepay_amount=prepay,
            option=option,
            annual_rate=loan.schedule_rate,
        )
    except PricingError as exc:
        field = "option" if "option" in exc.code else "prepay_amount"
        raise LoanError(_prepayment_message(exc), field=field, code=exc.code) from exc
    fee = quantize_fen(prepay * fee_rate)
    return PrepaymentTerms(
        prepay=prepay, fee=fee, total=prepay + fee, option=option, schedule=schedule
    )


def _prepayment_message(exc: PricingError) -> str:
    messages = {
        "prepayment_out_of_range": _("提前还本金额须小于剩余本金；如需全部还清请申请提前结清。"),
        "prepayment_option_not_supported": _("该还款方式不支持缩短期限，请选择减少月供。"),
        "unknown_prepayment_option": _("请选择缩短期限或减少月供。"),
    }
    return messages.get(exc.code, exc.message)


def _prepayment_entry_post(
    *, loan: Loan, repayment: Repayment, terms: PrepaymentTerms, business_date: dt.date,
    actor: Any,
):  # fmt: skip
    """Dr bank clearing the payment / Cr principal the prepaid principal (and fee income)."""
    lines = [
        (A.BANK_CLEARING, "D", repayment.amount, loan.pk),
        (A.PRINCIPAL_RECEIVABLE, "C", terms.prepay, loan.pk),
    ]
    if terms.fee > 0:
        lines.append((A.FEE_INCOME, "C", terms.fee, loan.pk))
    return journal_post(
        business_date=business_date,
        source_type=SourceType.REPAYMENT,
        source_id=repayment.pk,
        lines=lines,
        idempotency_key=f"repayment:{repayment.pk}",
        description=memo("prepayment"),
        actor=actor,
        loan_id=loan.pk,
    )


def _allocations(*, repayment: Repayment, terms: PrepaymentTerms) -> list[RepaymentAllocation]:
    allocations = [
        RepaymentAllocation(repayment=repayment, component=Component.PRINCIPAL, amount=terms.prepay)
    ]
    if terms.fee > 0:
        allocations.append(
            RepaymentAllocation(repayment=repayment, component=Component.FEE, amount=terms.fee)
        )
    return allocations


def prepay_partial_locked(
    *, loan: Loan, rows: list, repayment: Repayment, business_date: dt.date, actor: Any
) -> Repayment:
    try:
        terms = prepayment_terms(
            loan=loan,
            prepay_amount=repayment.prepay_amount,
            option=repayment.prepayment_option,
            rows=rows,
            on=business_date,
        )
        if terms.total != repayment.amount:
            raise LoanError("amount_mismatch", code="amount_mismatch")
    except LoanError as exc:
        return instalment_fallback(
            loan=loan,
            rows=rows,
            repayment=repayment,
            business_date=business_date,
            actor=actor,
            reason=exc.code,
        )
    unpaid = rows_unpaid(rows)
    accrual_catch_up(
        loan=loan,
        rows=rows,
        through=unpaid[0].accrual_start,
        business_date=business_date,
        actor=actor,
        save=False,
    )
    old_version = loan.schedule_version
    new_rows = schedule_rows_build(loan=loan, schedule=terms.schedule, version=old_version + 1)
    new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=new_rows)
    entry = _prepayment_entry_post(
        loan=loan, repayment=repayment, terms=terms, business_date=business_date, actor=actor
    )
    loan.principal_outstanding -= terms.prepay
    repayment.status = RepaymentStatus.POSTED
    repayment.received_on = business_date
    repayment.journal_entry_id = entry.pk
    repayment.effects = {
        "old_version": old_version,
        "new_version": new_version,
        "option": terms.option,
        "prepay": str(terms.prepay),
        "fee": str(terms.fee),
        "term_before": len(unpaid),
        "term_after": len(new_rows),
    }
    # the allocations, the loan, the repayment and the audit row: one statement, not four
    parts_execute(
        [
            insert_part(_allocations(repayment=repayment, terms=terms), ALLOCATION_FIELDS),
            update_part(
                [loan],
                [*LOAN_ACCRUAL_FIELDS, "principal_outstanding", "schedule_version", "updated_at"],
            ),
            update_part(
                [repayment],
                ["status", "received_on", "journal_entry_id", "effects", "approved_by"],
            ),
            insert_part(
                [
                    audit_entry_build(
                        actor=actor,
                        obj=loan,
                        action="loan_prepay_partial",
                        from_state=str(old_version),
                        to_state=str(new_version),
                        data=repayment.effects,
                    )
                ]
            ),
        ]
    )
    return repayment
