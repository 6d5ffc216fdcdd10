"""Early settlement (提前结清), partial prepayment (部分提前还款) and restructuring (展期 / 重组).

All three price with the pricing engine and write a new schedule version: the unpaid rows of the
version in force are kept, marked `superseded_by_version`, and the new rows carry the new version.

* Early settlement: `payoff_quote_issue` records a quote (outstanding principal + interest accrued
  since the last due date + the product's early-settlement fee; refused inside the lock-in) valid
  until its date; a payment of the quote's total (purpose "payoff") settles the loan: the period's
  posted interest is trued up to the quoted interest, the fee is posted as due, one settlement row
  replaces the unpaid rows and is paid, the loan becomes `settled_early` and a mortgage release is
  requested. A payment that does not meet the quote (too little, too late, arrears) is posted as
  an ordinary repayment instead: money received is never refused.
* Partial prepayment: the prepaid principal plus the early-settlement fee on it; the unpaid rows
  are re-amortised by `partial_prepayment` (shorten_term or lower_instalment, the customer's
  choice). As in the pricing engine, the prepayment takes effect from the last paid due date.
* Restructure: everything owed besides principal (interest, fees, penalty receivable) is
  capitalised into principal, and a new schedule is priced from the restructure date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.pricing import (
    EarlySettlementLockedError,
    Method,
    PricingError,
    Schedule,
    add_months,
    partial_prepayment,
    payoff_quote,
    reamortize,
)
from servicing.models import (
    CLOSED_STATUSES,
    Component,
    Loan,
    LoanScheduleRow,
    LoanStatus,
    PayoffQuoteRecord,
    QuoteStatus,
    Repayment,
    RepaymentAllocation,
    RepaymentPurpose,
    RepaymentStatus,
    RowStatus,
    SourceType,
)
from servicing.models import AccountCode as A
from servicing.services.accrual import (
    LOAN_ACCRUAL_FIELDS,
    interest_accrue_in_memory,
    penalty_accrue_in_memory,
    penalty_post,
    signed_lines,
)
from servicing.services.ledger import journal_post
from servicing.services.loans import (
    LoanError,
    loan_lock,
    loan_status_set,
    mortgage_release_request,
    posting_date,
    pricing_schedule,
    schedule_rows_build,
    schedule_supersede,
)


def _rules(loan: Loan) -> tuple[Decimal, int]:
    rules = loan.product_rules or {}
    return (
        to_decimal(rules.get("early_settlement_fee_rate") or "0"),
        int(rules.get("lock_in_months") or 0),
    )


def _unpaid(rows: list[LoanScheduleRow]) -> list[LoanScheduleRow]:
    return sorted(
        (r for r in rows if r.status != RowStatus.PAID and r.superseded_by_version is None),
        key=lambda r: r.instalment_no,
    )


def _check_no_arrears(rows: list[LoanScheduleRow], on: dt.date) -> list[LoanScheduleRow]:
    unpaid = _unpaid(rows)
    if not unpaid:
        raise LoanError(_("该贷款已无未还期供。"))
    if any(r.due_date < on and r.amount_unpaid > 0 for r in unpaid):
        raise LoanError(_("请先还清逾期款项，再办理提前还款。"), code="arrears")
    if unpaid[0].amount_paid > 0:
        raise LoanError(
            _("本期期供已部分还款，请在本期还款日之后再办理。"), code="current_partially_paid"
        )
    return unpaid


def _accrual_catch_up(
    *, loan: Loan, rows: list[LoanScheduleRow], through: dt.date, business_date: dt.date, actor: Any
) -> None:
    """Post accrual (and true-ups) up to `through` if the nightly batch has not yet."""
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
            description=f"利息计提 {start} ~ {through}",
            actor=actor,
            loan_id=loan.pk,
        )
    loan.save(update_fields=[*LOAN_ACCRUAL_FIELDS, "updated_at"])


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
    "arrears" with overdue instalments)."""
    today = business_date_for_posting()
    as_of = as_of or today
    if as_of < today:
        raise LoanError(_("结清日不能早于今天（%(d)s）。") % {"d": today}, field="as_of")
    if idempotency_key:
        found = PayoffQuoteRecord.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    fee_rate, lock_in = _rules(Loan.objects.get(pk=loan_id))
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
        unpaid = _check_no_arrears(rows, as_of)
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
            early_settlement_fee=quote.early_settlement_fee,
            total=quote.total,
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


def _fallback(*, loan, rows, repayment: Repayment, business_date, actor, reason: str) -> Repayment:
    from servicing.services.repayments.apply import repayment_apply_locked

    repayment.purpose = RepaymentPurpose.INSTALMENT
    repayment.effects = {"fallback": reason}
    repayment.save(update_fields=["purpose", "effects"])
    open_rows = [r for r in rows if r.superseded_by_version is None and r.status != RowStatus.PAID]
    return repayment_apply_locked(
        loan=loan, rows=open_rows, repayment=repayment, business_date=business_date, actor=actor
    )


def settle_early_locked(
    *, loan: Loan, rows: list, repayment: Repayment, business_date: dt.date, actor: Any
) -> Repayment:
    from servicing.services.repayments.apply import repayment_apply_locked

    quote = (
        PayoffQuoteRecord.objects.select_for_update().filter(pk=repayment.payoff_quote_id).first()
    )
    problem = None
    if quote is None or quote.loan_id != loan.pk or quote.status != QuoteStatus.ISSUED:
        problem = "no_usable_quote"
    elif business_date > quote.valid_until:
        problem = "quote_expired"
    elif quote.schedule_version != loan.schedule_version:
        problem = "schedule_changed"
    elif repayment.amount < quote.total:
        problem = "amount_below_quote"
    elif loan.status in CLOSED_STATUSES:
        problem = "loan_closed"
    else:
        try:
            unpaid = _check_no_arrears(rows, business_date)
        except LoanError as exc:
            problem = exc.code
    if problem:
        return _fallback(
            loan=loan,
            rows=rows,
            repayment=repayment,
            business_date=business_date,
            actor=actor,
            reason=problem,
        )
    first = unpaid[0]
    _accrual_catch_up(
        loan=loan, rows=rows, through=first.accrual_start, business_date=business_date, actor=actor
    )
    interest_adjustment = quote.accrued_interest - loan.accrual_period_posted
    settlement_row = LoanScheduleRow(
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
    old_version = loan.schedule_version
    new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=[settlement_row])
    lines = signed_lines(A.INTEREST_RECEIVABLE, A.INTEREST_INCOME, interest_adjustment, loan.pk)
    lines += signed_lines(A.FEE_RECEIVABLE, A.FEE_INCOME, quote.early_settlement_fee, loan.pk)
    if lines:
        journal_post(
            business_date=business_date,
            source_type=SourceType.EARLY_SETTLEMENT,
            source_id=quote.pk,
            lines=lines,
            idempotency_key=f"settlement:{quote.pk}",
            description=_("提前结清：利息调整与结清手续费"),
            actor=actor,
            loan_id=loan.pk,
        )
    loan.accrual_period_posted = ZERO
    loan.accrual_remainder = ZERO
    loan.accrued_through = max(loan.accrued_through, quote.as_of)
    loan.save(update_fields=[*LOAN_ACCRUAL_FIELDS, "schedule_version", "updated_at"])
    loan_status_set(
        loan=loan,
        to=LoanStatus.SETTLED_EARLY,
        business_date=business_date,
        actor=actor,
        reason=_("提前结清，报价 #%(q)s") % {"q": quote.pk},
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
    mortgage_release_request(loan=loan, business_date=business_date, actor=actor)
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_settle_early",
        from_state=str(old_version),
        to_state=str(new_version),
        data={"quote": quote.pk, "repayment": repayment.pk, "total": str(quote.total)},
    )
    return repayment


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
    fee_rate, lock_in = _rules(loan)
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
    unpaid = _check_no_arrears(rows, on)
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
        return _fallback(
            loan=loan,
            rows=rows,
            repayment=repayment,
            business_date=business_date,
            actor=actor,
            reason=exc.code,
        )
    unpaid = _unpaid(rows)
    _accrual_catch_up(
        loan=loan,
        rows=rows,
        through=unpaid[0].accrual_start,
        business_date=business_date,
        actor=actor,
    )
    old_version = loan.schedule_version
    new_rows = schedule_rows_build(loan=loan, schedule=terms.schedule, version=old_version + 1)
    new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=new_rows)
    lines = [
        (A.BANK_CLEARING, "D", repayment.amount, loan.pk),
        (A.PRINCIPAL_RECEIVABLE, "C", terms.prepay, loan.pk),
    ]
    if terms.fee > 0:
        lines.append((A.FEE_INCOME, "C", terms.fee, loan.pk))
    entry = journal_post(
        business_date=business_date,
        source_type=SourceType.REPAYMENT,
        source_id=repayment.pk,
        lines=lines,
        idempotency_key=f"repayment:{repayment.pk}",
        description=_("部分提前还款"),
        actor=actor,
        loan_id=loan.pk,
    )
    allocations = [
        RepaymentAllocation(repayment=repayment, component=Component.PRINCIPAL, amount=terms.prepay)
    ]
    if terms.fee > 0:
        allocations.append(
            RepaymentAllocation(repayment=repayment, component=Component.FEE, amount=terms.fee)
        )
    RepaymentAllocation.objects.bulk_create(allocations)
    loan.principal_outstanding -= terms.prepay
    loan.save(update_fields=["principal_outstanding", "schedule_version", "updated_at"])
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
    repayment.save(
        update_fields=["status", "received_on", "journal_entry_id", "effects", "approved_by"]
    )
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_prepay_partial",
        from_state=str(old_version),
        to_state=str(new_version),
        data=repayment.effects,
    )
    return repayment


# --- restructure --------------------------------------------------------------------------------


def loan_restructure(
    *,
    loan_id: int,
    term_months: int,
    actor: Any,
    reason: str,
    annual_rate: Decimal | str | None = None,
    first_due_date: dt.date | None = None,
    business_date: dt.date | None = None,
) -> Loan:
    """Restructure (展期 / 重组) from the business date: accrue to date, capitalise interest, fees
    and penalty owed into principal, and price a new schedule of `term_months` rows (numbering
    continues). Needs the permission servicing.restructure_loan. Audited.

    Four eyes: pages go through servicing.approvals.loan_restructure_submit; this acts alone
    only while the policy four_eyes.loan_restructure is off."""
    if not getattr(actor, "has_perm", None) or not actor.has_perm("servicing.restructure_loan"):
        raise LoanError(_("您没有办理贷款重组的权限。"), code="forbidden")
    four_eyes_gate("loan_restructure")
    if not (reason or "").strip():
        raise LoanError(_("请填写重组原因。"), field="reason")
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        if loan.status in CLOSED_STATUSES:
            raise LoanError(_("贷款已结清或已核销，不能重组。"))
        unpaid = _unpaid(rows)
        if not unpaid:
            raise LoanError(_("该贷款已无未还期供。"))
        if any(r.status == RowStatus.PAID and r.due_date > date for r in rows):
            raise LoanError(_("存在已提前还清的未到期期供，不能重组。"))
        rate = loan.schedule_rate if annual_rate in (None, "") else to_decimal(annual_rate)
        _accrual_catch_up(loan=loan, rows=rows, through=date, business_date=date, actor=actor)
        total, segments = penalty_accrue_in_memory(loan, rows, date)
        penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
        if segments:
            LoanScheduleRow.objects.bulk_update(
                [s.row for s in segments], ["penalty", "penalty_through"]
            )
        from servicing.selectors import loan_balances

        balances = loan_balances(loan_id=loan.pk)
        lines = []
        capitalised = ZERO
        for code in (A.INTEREST_RECEIVABLE, A.FEE_RECEIVABLE, A.PENALTY_RECEIVABLE):
            value = balances.get(code, ZERO)
            if value:
                lines.append((code, "C" if value > 0 else "D", abs(value), loan.pk))
                capitalised += value
        principal = loan.principal_outstanding + capitalised
        if capitalised:
            lines.append(
                (A.PRINCIPAL_RECEIVABLE, "D" if capitalised > 0 else "C", abs(capitalised), loan.pk)
            )
        method = Method.parse(loan.method)
        balloon = loan.balloon_amount if method is Method.BALLOON else ZERO
        try:
            schedule = reamortize(
                outstanding_principal=principal,
                annual_rate=rate,
                term_months=int(term_months),
                method=method,
                value_date=date,
                day_count=loan.day_count,
                first_due_date=first_due_date,
                fee_per_instalment=loan.fee_per_instalment,
                balloon_amount=balloon,
                first_instalment_no=unpaid[0].instalment_no,
            )
        except (PricingError, ValueError, TypeError) as exc:
            raise LoanError(
                getattr(exc, "message", str(exc)), field="term_months", code="pricing"
            ) from exc
        if lines:
            journal_post(
                business_date=date,
                source_type="restructure",
                source_id=loan.pk,
                lines=lines,
                idempotency_key=f"restructure:{loan.pk}:{loan.schedule_version + 1}",
                description=_("贷款重组：欠息、费用、罚息转本金"),
                actor=actor,
                loan_id=loan.pk,
            )
        old_version = loan.schedule_version
        new_rows = schedule_rows_build(loan=loan, schedule=schedule, version=old_version + 1)
        new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=new_rows)
        loan.principal_outstanding = principal
        loan.schedule_rate = rate
        loan.restructure_count += 1
        loan.accrual_period_posted = ZERO
        loan.accrual_remainder = ZERO
        loan.accrued_through = date
        loan.save(
            update_fields=[
                *LOAN_ACCRUAL_FIELDS,
                "principal_outstanding",
                "schedule_rate",
                "restructure_count",
                "schedule_version",
                "updated_at",
            ]
        )
        old_status = loan.status
        loan_status_set(
            loan=loan, to=LoanStatus.RESTRUCTURED, business_date=date, actor=actor, reason=reason
        )
        audit_record(
            actor=actor,
            obj=loan,
            action="loan_restructure",
            from_state=old_status,
            to_state=LoanStatus.RESTRUCTURED,
            reason=reason,
            data={
                "old_version": old_version,
                "new_version": new_version,
                "capitalised": str(capitalised),
                "principal": str(principal),
                "term_months": int(term_months),
                "annual_rate": str(rate),
            },
        )
    return loan
