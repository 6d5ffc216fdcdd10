"""A loan's status: set with its history and audit rows, refreshed from its rows (days past due
and the tolerance, servicing.loan_rules), a row's own status, and the mortgage release
requested when the loan is repaid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.notifications import notification_send
from servicing import loan_rules
from servicing.memos import memo
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanScheduleRow,
    LoanStatus,
    LoanStatusChange,
    MortgageRelease,
    RowStatus,
)
from servicing.services.hotpath import insert_unless_conflict
from servicing.services.leases.closing import lease_closed_locked
from servicing.services.leases.vat import is_lease
from servicing.services.loans.account import actor_label

# --- status ----------------------------------------------------------------------------------


def loan_status_set(
    *, loan: Loan, to: str, business_date: dt.date, actor: Any, reason: str = "",
    also_save: Sequence[str] = (),
) -> bool:  # fmt: skip
    """Move a locked loan to status `to` (no-op if already there); history row + audit row.
    `also_save`: other fields the caller changed on the loan, saved in the same UPDATE (saved
    alone when the status does not change)."""
    if loan.status == to:
        if also_save:
            loan.save(update_fields=[*also_save, "updated_at"])
        return False
    old = loan.status
    loan.status = to
    loan.status_date = business_date
    if to in CLOSED_STATUSES:
        loan.closed_on = business_date
    elif old in CLOSED_STATUSES:
        loan.closed_on = None
    loan.save(update_fields=[*also_save, "status", "status_date", "closed_on", "updated_at"])
    LoanStatusChange.objects.create(
        loan=loan,
        from_status=old,
        to_status=to,
        business_date=business_date,
        reason=reason[:255],
        actor_label=actor_label(actor)[:150],
    )
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_status",
        from_state=old,
        to_state=to,
        reason=reason,
        data={"business_date": business_date.isoformat()},
    )
    return True


def row_status(row: LoanScheduleRow, business_date: dt.date) -> str:
    if row.amount_unpaid == 0:
        return RowStatus.PAID
    if row.due_date < business_date:
        return RowStatus.OVERDUE
    if row.due_date == business_date:
        return RowStatus.DUE
    if row.amount_paid > 0:
        return RowStatus.PARTIALLY_PAID
    return RowStatus.PENDING


def loan_past_due(*, rows: list[LoanScheduleRow], as_of: dt.date) -> bool:
    """Past due as of `as_of` under the one DPD rule (servicing.loan_rules), tolerance included.
    The policy is read only when something is owing: an on-time posting costs no query."""
    if not any(r.due_date < as_of and r.amount_unpaid > 0 for r in rows):
        return False
    tolerance = loan_rules.past_due_tolerance(on=as_of)
    return loan_rules.dpd_of_rows(rows, as_of=as_of, tolerance=tolerance) > 0


def loan_status_refresh(
    *, loan: Loan, rows: list[LoanScheduleRow], business_date: dt.date, actor: Any, reason: str = ""
) -> None:
    """Derive active / overdue / restructured / paid_off from the locked rows in force."""
    if loan.status in (LoanStatus.SETTLED_EARLY, LoanStatus.CHARGED_OFF, LoanStatus.REPURCHASED):
        return
    open_rows = [r for r in rows if r.status != RowStatus.PAID]
    # Paid off: nothing open among the rows given and no principal left (rows not given to a
    # repayment are future rows, which always carry principal while any is outstanding).
    if not open_rows and loan.principal_outstanding == 0:
        if loan_status_set(
            loan=loan,
            to=LoanStatus.PAID_OFF,
            business_date=business_date,
            actor=actor,
            reason=reason or memo("paid_off"),
        ):
            mortgage_release_request(loan=loan, business_date=business_date, actor=actor)
        return
    if loan_past_due(rows=open_rows, as_of=business_date):
        loan_status_set(
            loan=loan,
            to=LoanStatus.OVERDUE,
            business_date=business_date,
            actor=actor,
            reason=reason,
        )
        return
    normal = LoanStatus.RESTRUCTURED if loan.restructure_count else LoanStatus.ACTIVE
    loan_status_set(loan=loan, to=normal, business_date=business_date, actor=actor, reason=reason)


def mortgage_release_request(*, loan: Loan, business_date: dt.date, actor: Any) -> None:
    """The loan closed: open the mortgage-release task (解押) and tell the customer. A lease
    closes by its own end of term: bought out, a title transfer (过户) unless it is a mortgaged
    售后回租, released like a loan."""
    if is_lease(loan) and lease_closed_locked(loan=loan, business_date=business_date, actor=actor):
        return
    release = MortgageRelease(loan=loan, requested_on=business_date)
    # one statement (INSERT ... ON CONFLICT DO NOTHING) where get_or_create takes four
    if not insert_unless_conflict(release, unique_fields=["loan"]):
        return
    audit_record(
        actor=actor, obj=release, action="mortgage_release_request", to_state=release.status
    )
    phone = getattr(loan.customer, "phone", "")
    if phone:
        notification_send(
            channel="sms",
            to=phone,
            body=_("【AutoFin】您的贷款合同 %(ref)s 已结清，我们将在 5 个工作日内办理车辆解押。")
            % {"ref": loan.contract_ref},
            purpose="mortgage_release",
            dedupe_key=f"mortgage_release:{loan.pk}",
        )
