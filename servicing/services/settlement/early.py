"""Early settlement (提前结清): the payoff quote, its use, and settling the loan with a payment of
the quote's total (one settlement row replaces the unpaid rows; the loan becomes
`settled_early` and a mortgage release is requested)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO
from autofin.pricing import (
    EarlySettlementLockedError,
    PricingError,
    add_months,
    payoff_quote,
)
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanScheduleRow,
    LoanStatus,
    PayoffQuoteRecord,
    QuoteStatus,
)
from servicing.models.repayments import Repayment
from servicing.services.accrual import (
    LOAN_ACCRUAL_FIELDS,
    signed_lines,
)
from servicing.services.leases.closing import lease_buyout_unpaid
from servicing.services.leases.termination import lease_terminate_locked
from servicing.services.leases.vat import is_lease
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError, loan_lock
from servicing.services.loans.schedule import pricing_schedule, schedule_supersede
from servicing.services.loans.status import loan_status_set, mortgage_release_request
from servicing.services.oem.subsidy import oem_subsidy_end_locked
from servicing.services.repayments.apply import repayment_apply_locked
from servicing.services.settlement.shared import (
    accrual_catch_up,
    instalment_fallback,
    no_arrears_check,
    product_terms,
    rows_unpaid,
)

# --- early settlement ---------------------------------------------------------------------------


def payoff_quote_issue(
    *,
    loan_id: int,
    actor: Any,
    as_of: dt.date | None = None,
    idempotency_key: str | None = None,
) -> PayoffQuoteRecord:
    """Quote the amount that settles the loan on `as_of` (default: the business date); the quote
    is valid until that date. Raises LoanError (code "early_settlement_locked" inside the lock-in,
    "arrears" with overdue instalments).
    A lease's 留购价 billed with its last rent (unpaid rows' fees are not quoted) is added to
    the fee: the lessee buys the car with the settlement."""
    today = business_date_for_posting()
    as_of = as_of or today
    if as_of < today:
        raise LoanError(_("结清日不能早于今天（%(d)s）。") % {"d": today}, field="as_of")
    if idempotency_key:
        found = PayoffQuoteRecord.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    fee_rate, lock_in = product_terms(Loan.objects.get(pk=loan_id))
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        if loan.status in CLOSED_STATUSES:
            raise LoanError(_("贷款已结清，无需提前结清。"))
        lock_end = add_months(loan.value_date, lock_in)
        if as_of < lock_end:
            raise LoanError(
                _("提前结清锁定期内（放款后 %(m)s 个月，至 %(d)s）不能提前结清。")
                % {"m": lock_in, "d": lock_end},
                field="as_of",
                code="early_settlement_locked",
            )
        unpaid = no_arrears_check(rows, as_of)
        extra_fee = lease_buyout_unpaid(loan, unpaid)
        try:
            quote = payoff_quote(
                pricing_schedule(loan=loan, rows=unpaid),
                as_of=as_of,
                paid_instalments=unpaid[0].instalment_no - 1,
                early_settlement_fee_rate=fee_rate,
                lock_in_months=lock_in,
                annual_rate=loan.schedule_rate,
                day_count=loan.day_count,
                value_date=loan.value_date,
            )
        except EarlySettlementLockedError as exc:
            raise LoanError(
                _("提前结清锁定期内（放款后 %(m)s 个月，至 %(d)s）不能提前结清。")
                % {"m": lock_in, "d": add_months(loan.value_date, lock_in)},
                field="as_of",
                code="early_settlement_locked",
            ) from exc
        except PricingError as exc:
            raise LoanError(exc.message, field="as_of", code=exc.code) from exc
        record = PayoffQuoteRecord.objects.create(
            loan=loan,
            as_of=as_of,
            valid_until=as_of,
            schedule_version=loan.schedule_version,
            paid_instalments=unpaid[0].instalment_no - 1,
            outstanding_principal=quote.outstanding_principal,
            accrued_interest=quote.accrued_interest,
            early_settlement_fee=quote.early_settlement_fee + extra_fee,
            total=quote.total + extra_fee,
            idempotency_key=idempotency_key,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            obj=record,
            action="payoff_quote_issue",
            to_state=record.status,
            data={"total": str(record.total), "as_of": as_of.isoformat()},
        )
    return record


def payoff_quote_usable(*, loan: Loan, quote_id: int | None) -> PayoffQuoteRecord:
    quote = PayoffQuoteRecord.objects.filter(loan=loan, pk=quote_id).first()
    if quote is None:
        raise LoanError(_("请先获取提前结清报价。"), field="payoff_quote")
    if quote.status != QuoteStatus.ISSUED:
        raise LoanError(_("该报价已使用或已失效，请重新获取。"), field="payoff_quote")
    if business_date_for_posting() > quote.valid_until:
        raise LoanError(
            _("报价已于 %(d)s 过期，请重新获取。") % {"d": quote.valid_until}, field="payoff_quote"
        )
    if quote.schedule_version != loan.schedule_version:
        raise LoanError(_("还款计划已变更，请重新获取报价。"), field="payoff_quote")
    return quote


def _quote_problem(
    *, quote: PayoffQuoteRecord | None, loan: Loan, rows: list, repayment: Repayment,
    business_date: dt.date,
) -> str | None:  # fmt: skip
    """Why the payment cannot settle the loan on its quote (None: it can)."""
    if quote is None or quote.loan_id != loan.pk or quote.status != QuoteStatus.ISSUED:
        return "no_usable_quote"
    if business_date > quote.valid_until:
        return "quote_expired"
    if quote.schedule_version != loan.schedule_version:
        return "schedule_changed"
    if repayment.amount < quote.total:
        return "amount_below_quote"
    if loan.status in CLOSED_STATUSES:
        return "loan_closed"
    try:
        unpaid = no_arrears_check(rows, business_date)
    except LoanError as exc:
        return exc.code
    if unpaid[0].instalment_no - 1 != quote.paid_instalments:
        # an instalment paid since the quote (the auto-debit file racing the customer's payoff)
        # leaves less to settle than quoted: settling on it would take principal below zero
        return "paid_since_quote"
    return None


def _settlement_row(loan: Loan, first: LoanScheduleRow, quote: PayoffQuoteRecord):
    """The one row that replaces the unpaid rows: the quote's principal, interest and fee."""
    return LoanScheduleRow(
        loan=loan,
        instalment_no=first.instalment_no,
        due_date=quote.as_of,
        accrual_start=first.accrual_start,
        opening_balance=quote.outstanding_principal,
        principal=quote.outstanding_principal,
        interest=quote.accrued_interest,
        fee=quote.early_settlement_fee,
        instalment=quote.total,
        closing_balance=ZERO,
    )


def _settlement_entry_post(
    *, loan: Loan, quote: PayoffQuoteRecord, interest_adjustment: Decimal,
    business_date: dt.date, actor: Any,
) -> None:  # fmt: skip
    """The period's posted interest trued up to the quoted interest, and the fee posted as due."""
    lines = signed_lines(A.INTEREST_RECEIVABLE, A.INTEREST_INCOME, interest_adjustment, loan.pk)
    lines += signed_lines(A.FEE_RECEIVABLE, A.FEE_INCOME, quote.early_settlement_fee, loan.pk)
    if lines:
        journal_post(
            business_date=business_date,
            source_type=SourceType.EARLY_SETTLEMENT,
            source_id=quote.pk,
            lines=lines,
            idempotency_key=f"settlement:{quote.pk}",
            description=memo("early_settlement"),
            actor=actor,
            loan_id=loan.pk,
        )


def settle_early_locked(
    *, loan: Loan, rows: list, repayment: Repayment, business_date: dt.date, actor: Any
) -> Repayment:
    """Settle the locked loan with a payment of its quote; a payment that does not meet the quote
    is posted as an ordinary repayment instead (`instalment_fallback`)."""
    quote = (
        PayoffQuoteRecord.objects.select_for_update().filter(pk=repayment.payoff_quote_id).first()
    )
    problem = _quote_problem(
        quote=quote, loan=loan, rows=rows, repayment=repayment, business_date=business_date
    )
    if problem:
        return instalment_fallback(
            loan=loan,
            rows=rows,
            repayment=repayment,
            business_date=business_date,
            actor=actor,
            reason=problem,
        )
    unpaid = rows_unpaid(rows)
    first = unpaid[0]
    accrual_catch_up(
        loan=loan, rows=rows, through=first.accrual_start, business_date=business_date,
        actor=actor, save=False,
    )  # fmt: skip
    interest_adjustment = quote.accrued_interest - loan.accrual_period_posted
    settlement_row = _settlement_row(loan, first, quote)
    old_version = loan.schedule_version
    new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=[settlement_row])
    _settlement_entry_post(
        loan=loan, quote=quote, interest_adjustment=interest_adjustment,
        business_date=business_date, actor=actor,
    )  # fmt: skip
    loan.accrual_period_posted = ZERO
    loan.accrual_remainder = ZERO
    loan.accrued_through = max(loan.accrued_through, quote.as_of)
    loan_status_set(
        loan=loan,
        to=LoanStatus.SETTLED_EARLY,
        business_date=business_date,
        actor=actor,
        reason=_("提前结清，报价 #%(q)s") % {"q": quote.pk},
        also_save=[*LOAN_ACCRUAL_FIELDS, "schedule_version"],
    )
    quote.status = QuoteStatus.USED
    quote.save(update_fields=["status"])
    repayment.effects = {
        "quote": quote.pk,
        "old_version": old_version,
        "new_version": new_version,
        "interest_adjustment": str(interest_adjustment),
    }
    repayment_apply_locked(
        loan=loan,
        rows=[settlement_row],
        repayment=repayment,
        business_date=business_date,
        actor=actor,
        current=settlement_row,
    )
    if is_lease(loan):
        lease_terminate_locked(
            loan=loan, quote=quote, cancelled=unpaid, business_date=business_date, actor=actor
        )
    mortgage_release_request(loan=loan, business_date=business_date, actor=actor)
    oem_subsidy_end_locked(loan=loan, on=business_date, actor=actor)
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_settle_early",
        from_state=str(old_version),
        to_state=str(new_version),
        data={"quote": quote.pk, "repayment": repayment.pk, "total": str(quote.total)},
    )
    return repayment
