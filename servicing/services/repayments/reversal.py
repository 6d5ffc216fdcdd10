"""Reversal of a posted repayment (冲正): the platform's reversal of a bounced payment, and a
person's request that another person approves. Reversing takes back every allocation, the
suspense part (undoing later suspense applications first) and recomputes the penalty the
reversed money had stopped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO
from autofin.roles import MoneyAction
from servicing.loan_rules import penalty_daily
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import Loan, LoanScheduleRow, MortgageRelease, PenaltyAccrual
from servicing.models.repayments import (
    Component,
    Repayment,
    RepaymentPurpose,
    RepaymentReversal,
    RepaymentSource,
    RepaymentStatus,
    ReversalStatus,
)
from servicing.services.accrual import penalty_accrue_in_memory, penalty_post, signed_lines
from servicing.services.leases.closing import lease_reopened_locked
from servicing.services.leases.vat import is_lease
from servicing.services.ledger.posting import journal_post
from servicing.services.ledger.reversal import journal_entry_reverse
from servicing.services.loans.account import loan_lock, posting_date
from servicing.services.loans.status import loan_status_refresh, row_status
from servicing.services.repayments.apply import LOAN_FIELDS, ROW_FIELDS
from servicing.services.repayments.guards import RepaymentError, money_action_authorize

# --- reversal ----------------------------------------------------------------------------------


def repayment_reverse(
    *, repayment_id: int, reason: str, actor: Any, business_date: dt.date | None = None
) -> Repayment:
    """The platform reverses a repayment the bank or provider bounced (退票). A person never
    reverses alone: people go through `repayment_reversal_request` and another person's
    `repayment_reversal_approve`."""
    if not isinstance(actor, str):
        raise RepaymentError(_("人工冲正须提交冲正申请，由另一位同事复核。"), code="maker_checker")
    return _repayment_reverse(
        repayment_id=repayment_id, reason=reason, actor=actor, business_date=business_date
    )


def _repayment_reverse(
    *, repayment_id: int, reason: str, actor: Any, business_date: dt.date | None = None
) -> Repayment:
    """Reverse a posted repayment (a bounced payment, 退票): the ledger entry is reversed, every
    allocation is taken back from its row, the suspense part is taken back (reversing later
    suspense applications first if it was already used), and the penalty the money had stopped is
    accrued for the days since. Idempotent: a second call returns the reversed repayment.

    Settlement and prepayment payments changed the schedule; they are not reversed here.
    """
    if not (reason or "").strip():
        raise RepaymentError(_("冲正必须填写原因。"), field="reason")
    loan_id = Repayment.objects.values_list("loan_id", flat=True).get(pk=repayment_id)
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        repayment = Repayment.objects.select_for_update().get(pk=repayment_id)
        if repayment.status == RepaymentStatus.REVERSED:
            return repayment
        _reverse_locked(
            loan=loan, rows=rows, repayment=repayment, reason=reason, date=date, actor=actor
        )
        if any(r.due_date < date and r.amount_unpaid > 0 for r in rows):
            total, segments = penalty_accrue_in_memory(loan, rows, date)
            penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
            if segments:
                LoanScheduleRow.objects.bulk_update(
                    [s.row for s in segments], ["penalty", "penalty_through"]
                )
        was_closed = loan.status == "paid_off"
        if was_closed:
            MortgageRelease.objects.filter(loan=loan, status="pending").delete()
        loan_status_refresh(loan=loan, rows=rows, business_date=date, actor=actor, reason=reason)
        if is_lease(loan):
            lease_reopened_locked(
                loan=loan, repayment=repayment, was_closed=was_closed, business_date=date,
                actor=actor,
            )  # fmt: skip
    return repayment


def _later_suspense_undo(
    *, loan: Loan, rows: list[LoanScheduleRow], repayment: Repayment, suspense_part: Decimal,
    date: dt.date, actor: Any,
) -> None:  # fmt: skip
    """The overpayment was already applied: undo later suspense applications, newest first,
    until the suspense holds the reversed repayment's part again."""
    later = (
        Repayment.objects.select_for_update()
        .filter(
            loan=loan,
            source=RepaymentSource.SUSPENSE,
            status=RepaymentStatus.POSTED,
            pk__gt=repayment.pk,
        )
        .order_by("-pk")
    )
    for application in later:
        if suspense_part <= loan.suspense_balance:
            break
        _reverse_locked(
            loan=loan,
            rows=rows,
            repayment=application,
            reason=_("原还款冲正，撤销溢缴款冲抵 #%(id)s") % {"id": repayment.pk},
            date=date,
            actor=actor,
        )
    if suspense_part > loan.suspense_balance:
        raise RepaymentError(_("溢缴款已退回客户，不能冲正该还款。"))


def _allocations_take_back(
    *, loan: Loan, repayment: Repayment, allocations: list, by_pk: dict[int, LoanScheduleRow]
) -> tuple[dict[int, LoanScheduleRow], dict[int, Decimal]]:
    """Every allocation taken back from its row (or the suspense); returns (the rows touched,
    the principal and interest restored per row)."""
    touched: dict[int, LoanScheduleRow] = {}
    restored: dict[int, Decimal] = {}
    for a in allocations:
        if a.component == Component.SUSPENSE:
            loan.suspense_balance -= a.amount
            continue
        row = by_pk[a.row_id]
        setattr(row, f"{a.component}_paid", getattr(row, f"{a.component}_paid") - a.amount)
        if row.pk not in touched:
            row.paid_on = a.row_paid_on_before
        touched[row.pk] = row
        if a.component in (Component.PRINCIPAL, Component.INTEREST):
            restored[row.pk] = restored.get(row.pk, ZERO) + a.amount
        if a.component == Component.PRINCIPAL:
            loan.principal_outstanding += a.amount
    if repayment.source == RepaymentSource.SUSPENSE:
        loan.suspense_balance += repayment.amount
    return touched, restored


def _penalty_recompute(
    *, loan: Loan, repayment: Repayment, restored: dict[int, Decimal],
    by_pk: dict[int, LoanScheduleRow], touched: dict[int, LoanScheduleRow], date: dt.date,
    actor: Any,
) -> Decimal:  # fmt: skip
    """Penalty the money had stopped: segments accrued since the payment, recomputed on the
    restored base, and the difference posted. Returns the difference."""
    extra = ZERO
    changed_segments = []
    for segment in PenaltyAccrual.objects.filter(
        row_id__in=list(restored), start__gte=repayment.received_on
    ).order_by("pk"):
        base = segment.base + restored[segment.row_id]
        daily = penalty_daily(base, loan.penalty_rate)
        amount = daily * (segment.end - segment.start).days
        delta = amount - segment.amount
        segment.base, segment.daily_amount, segment.amount = base, daily, amount
        changed_segments.append(segment)
        by_pk[segment.row_id].penalty += delta
        touched[segment.row_id] = by_pk[segment.row_id]
        extra += delta
    if changed_segments:
        PenaltyAccrual.objects.bulk_update(changed_segments, ["base", "daily_amount", "amount"])
    if extra:
        journal_post(
            business_date=date,
            source_type=SourceType.PENALTY,
            source_id=loan.pk,
            lines=signed_lines(A.PENALTY_RECEIVABLE, A.PENALTY_INCOME, extra, loan.pk),
            idempotency_key=f"penalty-reversal:{repayment.pk}",
            description=memo("reversal_penalty"),
            actor=actor,
            loan_id=loan.pk,
        )
    return extra


def _reverse_locked(
    *,
    loan: Loan,
    rows: list[LoanScheduleRow],
    repayment: Repayment,
    reason: str,
    date: dt.date,
    actor: Any,
) -> None:
    _reversible(repayment)
    by_pk = {r.pk: r for r in rows}
    allocations = list(repayment.allocations.all())
    missing = [a for a in allocations if a.row_id is not None and a.row_id not in by_pk]
    if missing:
        raise RepaymentError(_("该还款之后还款计划已变更（重组或提前还款），不能直接冲正。"))
    suspense_part = sum((a.amount for a in allocations if a.component == Component.SUSPENSE), ZERO)
    if suspense_part > loan.suspense_balance:
        _later_suspense_undo(
            loan=loan, rows=rows, repayment=repayment, suspense_part=suspense_part, date=date,
            actor=actor,
        )  # fmt: skip
    reversal = journal_entry_reverse(
        entry_id=repayment.journal_entry_id, reason=reason, actor=actor, business_date=date
    )
    touched, restored = _allocations_take_back(
        loan=loan, repayment=repayment, allocations=allocations, by_pk=by_pk
    )
    extra = _penalty_recompute(
        loan=loan, repayment=repayment, restored=restored, by_pk=by_pk, touched=touched,
        date=date, actor=actor,
    )  # fmt: skip
    for row in touched.values():
        row.status = row_status(row, date)
    if touched:
        LoanScheduleRow.objects.bulk_update(list(touched.values()), ROW_FIELDS)
    loan.save(update_fields=LOAN_FIELDS)
    repayment.status = RepaymentStatus.REVERSED
    repayment.reversal_entry_id = reversal.pk
    repayment.reversal_reason = reason[:255]
    repayment.reversed_on = date
    repayment.save(update_fields=["status", "reversal_entry_id", "reversal_reason", "reversed_on"])
    audit_record(
        actor=actor,
        obj=repayment,
        action="repayment_reverse",
        from_state=RepaymentStatus.POSTED,
        to_state=RepaymentStatus.REVERSED,
        reason=reason,
        data={"reversal_entry": reversal.pk, "penalty_recomputed": str(extra)},
    )


def _reversible(repayment: Repayment) -> None:
    if repayment.status != RepaymentStatus.POSTED:
        raise RepaymentError(_("只有已入账的还款可以冲正。"))
    if repayment.purpose != RepaymentPurpose.INSTALMENT:
        raise RepaymentError(
            _("提前结清或部分提前还款已变更还款计划，不能直接冲正，请走调账流程。")
        )


def repayment_reversal_request(
    *, repayment_id: int, reason: str, actor: Any, idempotency_key: str | None = None
) -> RepaymentReversal:
    """A person asks for a posted repayment to be reversed; nothing moves until another person
    approves (`repayment_reversal_approve`). One open request per repayment (the database's
    partial unique constraint); idempotent by `idempotency_key`."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_REVERSE_REQUEST)
    if not (reason or "").strip():
        raise RepaymentError(_("冲正必须填写原因。"), field="reason")
    with transaction.atomic():
        repayment = Repayment.objects.select_for_update().get(pk=repayment_id)
        if idempotency_key:
            found = RepaymentReversal.objects.filter(idempotency_key=idempotency_key).first()
            if found is not None:
                if found.repayment_id != repayment.pk:
                    raise RepaymentError(
                        _("幂等键已用于另一笔冲正申请。"), code="idempotency_conflict"
                    )
                return found
        _reversible(repayment)
        if repayment.reversals.filter(status=ReversalStatus.PENDING).exists():
            raise RepaymentError(_("该还款已有待复核的冲正申请。"), code="reversal_pending")
        reversal = RepaymentReversal.objects.create(
            repayment=repayment,
            reason=reason.strip()[:255],
            requested_by=actor,
            idempotency_key=idempotency_key,
        )
        audit_record(
            actor=actor,
            obj=reversal,
            action="repayment_reversal_request",
            to_state=ReversalStatus.PENDING,
            reason=reason,
            data={"repayment": repayment.pk, "amount": str(repayment.amount)},
        )
    return reversal


def repayment_reversal_approve(
    *, reversal_id: int, actor: Any, business_date: dt.date | None = None
) -> RepaymentReversal:
    """The checker approves a reversal request, which reverses the repayment. Not the requester
    (refused here and by the database). Approving twice returns the approved request."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_REVERSE_APPROVE)
    loan_id = RepaymentReversal.objects.values_list("repayment__loan_id", flat=True).get(
        pk=reversal_id
    )
    with transaction.atomic():
        # The loan first (the documented lock order), then the request; the reversal below
        # takes the rows and the repayment under the loan lock it already holds.
        Loan.objects.select_for_update().get(pk=loan_id)
        reversal = RepaymentReversal.objects.select_for_update().get(pk=reversal_id)
        if reversal.status == ReversalStatus.APPROVED and reversal.decided_by_id == actor.pk:
            return reversal
        if reversal.status != ReversalStatus.PENDING:
            raise RepaymentError(_("该冲正申请不在待复核状态。"))
        if reversal.requested_by_id == actor.pk:
            raise RepaymentError(_("复核人不能与申请人为同一人。"), code="maker_checker")
        _repayment_reverse(
            repayment_id=reversal.repayment_id,
            reason=reversal.reason,
            actor=actor,
            business_date=business_date,
        )
        reversal.status = ReversalStatus.APPROVED
        reversal.decided_by = actor
        reversal.decided_at = timezone.now()
        reversal.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            obj=reversal,
            action="repayment_reversal_approve",
            from_state=ReversalStatus.PENDING,
            to_state=ReversalStatus.APPROVED,
        )
    return reversal


def repayment_reversal_reject(*, reversal_id: int, actor: Any, reason: str) -> RepaymentReversal:
    """The checker refuses a reversal request: the repayment stays posted."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_REVERSE_APPROVE)
    if not (reason or "").strip():
        raise RepaymentError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        reversal = RepaymentReversal.objects.select_for_update().get(pk=reversal_id)
        if reversal.status == ReversalStatus.REJECTED and reversal.decided_by_id == actor.pk:
            return reversal
        if reversal.status != ReversalStatus.PENDING:
            raise RepaymentError(_("该冲正申请不在待复核状态。"))
        if reversal.requested_by_id == actor.pk:
            raise RepaymentError(_("复核人不能与申请人为同一人。"), code="maker_checker")
        reversal.status = ReversalStatus.REJECTED
        reversal.decided_by = actor
        reversal.decided_at = timezone.now()
        reversal.decision_reason = reason.strip()[:255]
        reversal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            actor=actor,
            obj=reversal,
            action="repayment_reversal_reject",
            from_state=ReversalStatus.PENDING,
            to_state=ReversalStatus.REJECTED,
            reason=reason,
        )
    return reversal
