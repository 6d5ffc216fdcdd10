"""Restructuring (展期 / 重组): interest, fees and penalty owed capitalised into principal and a
new schedule priced from the restructure date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from autofin.money import ZERO, to_decimal
from autofin.pricing import (
    Method,
    PricingError,
    reamortize,
)
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow, LoanStatus, RowStatus
from servicing.selectors.ledger import loan_balances
from servicing.services.accrual import (
    LOAN_ACCRUAL_FIELDS,
    penalty_accrue_in_memory,
    penalty_post,
)
from servicing.services.leases.accounting import lease_unearned_sync
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError, loan_lock, posting_date
from servicing.services.loans.schedule import schedule_rows_build, schedule_supersede
from servicing.services.loans.status import loan_status_set
from servicing.services.settlement.shared import accrual_catch_up, rows_unpaid

# --- restructure --------------------------------------------------------------------------------


def _restructurable_rows(loan: Loan, rows: list, date: dt.date) -> list[LoanScheduleRow]:
    """The unpaid rows a restructure replaces; LoanError when the loan cannot be restructured."""
    if loan.status in CLOSED_STATUSES:
        raise LoanError(_("贷款已结清或已核销，不能重组。"))
    unpaid = rows_unpaid(rows)
    if not unpaid:
        raise LoanError(_("该贷款已无未还期供。"))
    if any(r.status == RowStatus.PAID and r.due_date > date for r in rows):
        raise LoanError(_("存在已提前还清的未到期期供，不能重组。"))
    return unpaid


def _penalty_to_date(loan: Loan, rows: list, date: dt.date, actor: Any) -> None:
    total, segments = penalty_accrue_in_memory(loan, rows, date)
    penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
    if segments:
        LoanScheduleRow.objects.bulk_update(
            [s.row for s in segments], ["penalty", "penalty_through"]
        )


def _capitalisation(loan: Loan) -> tuple[list[tuple], Decimal]:
    """(ledger lines moving interest, fees and penalty receivable into principal, their sum)."""
    balances = loan_balances(loan_id=loan.pk)
    lines = []
    capitalised = ZERO
    for code in (A.INTEREST_RECEIVABLE, A.FEE_RECEIVABLE, A.PENALTY_RECEIVABLE):
        value = balances.get(code, ZERO)
        if value:
            lines.append((code, "C" if value > 0 else "D", abs(value), loan.pk))
            capitalised += value
    if capitalised:
        lines.append(
            (A.PRINCIPAL_RECEIVABLE, "D" if capitalised > 0 else "C", abs(capitalised), loan.pk)
        )
    return lines, capitalised


def _new_schedule(
    *, loan: Loan, principal: Decimal, rate: Decimal, term_months: int, date: dt.date,
    first_due_date: dt.date | None, first_instalment_no: int,
):  # fmt: skip
    """The new schedule priced from the restructure date; LoanError if the engine refuses."""
    method = Method.parse(loan.method)
    balloon = loan.balloon_amount if method is Method.BALLOON else ZERO
    try:
        return reamortize(
            outstanding_principal=principal,
            annual_rate=rate,
            term_months=int(term_months),
            method=method,
            value_date=date,
            day_count=loan.day_count,
            first_due_date=first_due_date,
            fee_per_instalment=loan.fee_per_instalment,
            balloon_amount=balloon,
            first_instalment_no=first_instalment_no,
        )
    except (PricingError, ValueError, TypeError) as exc:
        raise LoanError(
            getattr(exc, "message", str(exc)), field="term_months", code="pricing"
        ) from exc


def _loan_restructured_save(
    *, loan: Loan, principal: Decimal, rate: Decimal, date: dt.date
) -> None:
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
        unpaid = _restructurable_rows(loan, rows, date)
        rate = loan.schedule_rate if annual_rate in (None, "") else to_decimal(annual_rate)
        accrual_catch_up(loan=loan, rows=rows, through=date, business_date=date, actor=actor)
        _penalty_to_date(loan, rows, date, actor)
        lines, capitalised = _capitalisation(loan)
        principal = loan.principal_outstanding + capitalised
        schedule = _new_schedule(
            loan=loan, principal=principal, rate=rate, term_months=term_months, date=date,
            first_due_date=first_due_date, first_instalment_no=unpaid[0].instalment_no,
        )  # fmt: skip
        if lines:
            journal_post(
                business_date=date,
                source_type="restructure",
                source_id=loan.pk,
                lines=lines,
                idempotency_key=f"restructure:{loan.pk}:{loan.schedule_version + 1}",
                description=memo("restructure"),
                actor=actor,
                loan_id=loan.pk,
            )
        old_version = loan.schedule_version
        new_rows = schedule_rows_build(loan=loan, schedule=schedule, version=old_version + 1)
        new_version = schedule_supersede(loan=loan, rows=unpaid, new_rows=new_rows)
        _loan_restructured_save(loan=loan, principal=principal, rate=rate, date=date)
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
        # a lease's new schedule carries other interest: the gross-up follows it
        lease_unearned_sync(loan=loan, on=date, actor=actor, key=f"restructure:{new_version}")
    return loan
