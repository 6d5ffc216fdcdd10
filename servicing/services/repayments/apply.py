"""Applying a saved repayment to locked rows: the waterfall's allocations written per row and
component, the ledger entry, the loan's and rows' new figures; for one repayment
(`repayment_apply_locked`, also what settlement uses) or a set-based batch of instalment
payments (`loans_lock` + `repayments_post_many_locked`, used by auto-debit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build
from autofin.money import ZERO
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import Loan, LoanScheduleRow, PenaltyAccrual, RowStatus
from servicing.models.repayments import (
    Component,
    Repayment,
    RepaymentAllocation,
    RepaymentPurpose,
    RepaymentSource,
    RepaymentStatus,
)
from servicing.services.accrual import penalty_accrue_in_memory, penalty_entry_post
from servicing.services.hotpath import (
    insert_many_unless_conflict,
    insert_part,
    parts_execute,
    update_part,
)
from servicing.services.ledger.entries import EntrySpec
from servicing.services.ledger.posting import journal_post_many, journal_post_spec
from servicing.services.loans.status import loan_status_refresh, row_status
from servicing.services.repayments.guards import RepaymentError
from servicing.services.repayments.idempotency import repayment_replay, replay_check
from servicing.services.repayments.waterfall import allocate, waterfall_order

COMPONENT_ACCOUNTS = {
    Component.PENALTY: A.PENALTY_RECEIVABLE,
    Component.FEE: A.FEE_RECEIVABLE,
    Component.INTEREST: A.INTEREST_RECEIVABLE,
    Component.PRINCIPAL: A.PRINCIPAL_RECEIVABLE,
    Component.SUSPENSE: A.CUSTOMER_SUSPENSE,
}
ROW_FIELDS = [
    "principal_paid",
    "interest_paid",
    "fee_paid",
    "penalty",
    "penalty_paid",
    "status",
    "paid_on",
    "penalty_through",
]
LOAN_FIELDS = ["principal_outstanding", "suspense_balance", "updated_at"]
REPAYMENT_POSTED_FIELDS = [
    "status",
    "received_on",
    "journal_entry_id",
    "suspense_amount",
    "approved_by",
    "effects",
]
ALLOCATION_FIELDS = [
    "repayment",
    "row",
    "component",
    "amount",
    "row_status_before",
    "row_paid_on_before",
]


# --- posting -------------------------------------------------------------------------------------


def _lines_for(
    *, debit_account: str, amount: Decimal, parts: dict[str, Decimal], loan_id: int
) -> list[tuple]:
    lines = [(debit_account, "D", amount, loan_id)]
    for component, value in parts.items():
        if value > 0:
            lines.append((COMPONENT_ACCOUNTS[component], "C", value, loan_id))
    return lines


@dataclass
class _Allocated:
    """A repayment allocated in memory (rows, loan and repayment changed on the instances, the
    penalty up to the posting date already written), waiting for its ledger entry and writes."""

    repayment: Repayment
    loan: Loan
    records: list[RepaymentAllocation]
    changed: list[LoanScheduleRow]
    leftover: Decimal
    spec: EntrySpec
    penalties: list[PenaltyAccrual]  # accrued up to the posting date, saved with the rest


def _memo(repayment: Repayment) -> str:
    source, purpose = RepaymentSource(repayment.source), RepaymentPurpose(repayment.purpose)
    return memo("repayment", source=source.label, purpose=purpose.label)


def _allocate_locked(
    *,
    loan: Loan,
    rows: list[LoanScheduleRow],
    repayment: Repayment,
    business_date: dt.date,
    actor: Any,
    amount: Decimal | None = None,
    current: LoanScheduleRow | None = None,
) -> _Allocated:
    amount = repayment.amount if amount is None else amount
    segments: list[PenaltyAccrual] = []
    if any(r.due_date < business_date and r.amount_unpaid > 0 for r in rows):
        total, segments = penalty_accrue_in_memory(loan, rows, business_date)
        penalty_entry_post(
            loan=loan, total=total, segments=segments, business_date=business_date, actor=actor
        )
    allocations, leftover = allocate(
        amount=amount,
        rows=rows,
        business_date=business_date,
        order=waterfall_order(loan.product_rules),
        current=current,
    )
    before: dict[int, tuple[str, dt.date | None]] = {}
    records: list[RepaymentAllocation] = []
    parts = dict.fromkeys(COMPONENT_ACCOUNTS, ZERO)
    changed: dict[int, LoanScheduleRow] = {}
    for row, component, part in allocations:
        before.setdefault(row.pk, (row.status, row.paid_on))
        setattr(row, f"{component}_paid", getattr(row, f"{component}_paid") + part)
        parts[component] += part
        changed[row.pk] = row
        status, paid_on = before[row.pk]
        records.append(
            RepaymentAllocation(
                repayment=repayment,
                row=row,
                component=component,
                amount=part,
                row_status_before=status,
                row_paid_on_before=paid_on,
            )
        )
    from_suspense = repayment.source == RepaymentSource.SUSPENSE
    if leftover > 0:
        if from_suspense:  # pragma: no cover - suspense applications are capped to what is due
            raise RepaymentError(_("溢缴款冲抵金额超过应还金额"))
        parts[Component.SUSPENSE] += leftover
        records.append(
            RepaymentAllocation(repayment=repayment, component=Component.SUSPENSE, amount=leftover)
        )
        loan.suspense_balance += leftover
    if from_suspense:
        loan.suspense_balance -= repayment.amount
    for row in changed.values():
        row.status = row_status(row, business_date)
        if row.status == RowStatus.PAID and row.paid_on is None:
            row.paid_on = business_date
    loan.principal_outstanding -= parts[Component.PRINCIPAL]
    # A status change (from the rows and principal in memory) writes its own history and audit
    # rows now; everything else is written by the caller in one statement.
    loan_status_refresh(loan=loan, rows=rows, business_date=business_date, actor=actor)
    spec = EntrySpec(
        business_date=business_date,
        source_type=SourceType.REPAYMENT,
        source_id=repayment.pk,
        lines=_lines_for(
            debit_account=A.CUSTOMER_SUSPENSE if from_suspense else A.BANK_CLEARING,
            amount=repayment.amount,
            parts=parts,
            loan_id=loan.pk,
        ),
        idempotency_key=f"repayment:{repayment.pk}",
        description=_memo(repayment),
        loan_id=loan.pk,
    )
    return _Allocated(repayment, loan, records, list(changed.values()), leftover, spec, segments)


def _posted(a: _Allocated, *, entry_id: int, business_date: dt.date, actor: Any):
    """Mark the repayment posted under its entry; its audit row (unsaved)."""
    repayment = a.repayment
    repayment.status = RepaymentStatus.POSTED
    repayment.received_on = business_date
    repayment.journal_entry_id = entry_id
    repayment.suspense_amount = a.leftover
    return audit_entry_build(
        actor=actor,
        obj=repayment,
        action="repayment_post",
        to_state=RepaymentStatus.POSTED,
        data={"amount": str(repayment.amount), "suspense": str(a.leftover), "entry": entry_id},
    )


def _unique(objs: list) -> list:
    """The instances once each (by pk, the last state: they are the same objects)."""
    return list({o.pk: o for o in objs}.values())


def _write_parts(allocated: list[_Allocated], audits: list) -> list:
    """Penalty segments, allocation rows, changed schedule rows, loans, repayments and audit
    rows: the parts of ONE statement (servicing.services.hotpath), whatever the number of repayments."""
    records = [r for a in allocated for r in a.records]
    rows = _unique([r for a in allocated for r in a.changed])
    penalties = [s for a in allocated for s in a.penalties]
    return [
        insert_part(penalties) if penalties else None,
        insert_part(records, ALLOCATION_FIELDS),
        update_part(rows, ROW_FIELDS, by=["loan"]) if rows else None,
        update_part(_unique([a.loan for a in allocated]), LOAN_FIELDS),
        update_part([a.repayment for a in allocated], REPAYMENT_POSTED_FIELDS),
        insert_part(audits),
    ]


def repayment_apply_locked(
    *,
    loan: Loan,
    rows: list[LoanScheduleRow],
    repayment: Repayment,
    business_date: dt.date,
    actor: Any,
    amount: Decimal | None = None,
    current: LoanScheduleRow | None = None,
) -> Repayment:
    """Allocate a saved repayment over the locked rows and post it. `amount` (default the
    repayment's) is what goes through the waterfall; `current` overrides the current row."""
    a = _allocate_locked(
        loan=loan,
        rows=rows,
        repayment=repayment,
        business_date=business_date,
        actor=actor,
        amount=amount,
        current=current,
    )
    entry = journal_post_spec(a.spec, actor=actor)
    audit = _posted(a, entry_id=entry.pk, business_date=business_date, actor=actor)
    parts_execute(_write_parts([a], [audit]))
    return repayment


@dataclass(frozen=True)
class PaymentIn:
    """One payment of a batch (`repayments_post_many_locked`)."""

    loan_id: int
    amount: Decimal
    idempotency_key: str
    external_ref: str | None = None


def loans_lock(
    *, loan_ids: list[int], eligible_on: dt.date
) -> dict[int, tuple[Loan, list[LoanScheduleRow]]]:
    """`loan_lock(eligible_on=...)` for several loans in one pair of statements: the loans in
    id order, then their reachable rows by pk - the documented order, so a batch and a single
    posting on a shared loan wait for each other, never deadlock."""
    ids = sorted(set(loan_ids))
    loans = {
        loan.pk: (loan, [])
        for loan in Loan.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    rows = (
        LoanScheduleRow.objects.filter(
            loan_id__in=ids, superseded_by_version__isnull=True, accrual_start__lt=eligible_on
        )
        .exclude(status=RowStatus.PAID)
        .order_by("pk")
        .select_for_update()
    )
    for row in rows:
        loan, own = loans[row.loan_id]
        row.loan = loan
        own.append(row)
    for _loan, own in loans.values():
        own.sort(key=lambda r: r.instalment_no)
    return loans


def repayments_post_many_locked(
    *,
    locked: dict[int, tuple[Loan, list[LoanScheduleRow]]],
    payments: list[PaymentIn],
    source: str,
    business_date: dt.date,
    actor: Any,
) -> list[Repayment]:
    """Post instalment payments on loans the caller has locked (`loans_lock`), set-based: one
    INSERT for the repayments, the same waterfall per payment as `repayment_post`, one ledger
    entry per payment written by `journal_post_many` (two statements for all), and one statement
    for the allocations, rows, loans, repayments and audit rows. Idempotent per payment: a
    payment whose key is taken is replayed, as `repayment_post` does; a payment whose bank
    reference another key holds raises IntegrityError (nothing posted): one transfer cannot be
    two payments. Returns the repayments in the order given."""
    repayments = [
        Repayment(
            loan=locked[p.loan_id][0],
            source=source,
            purpose=RepaymentPurpose.INSTALMENT,
            amount=p.amount,
            received_on=business_date,
            status=RepaymentStatus.POSTED,
            external_ref=p.external_ref,
            idempotency_key=p.idempotency_key,
        )
        for p in payments
    ]
    inserted = insert_many_unless_conflict(repayments, key="idempotency_key")
    allocated: list[_Allocated] = []
    result: list[Repayment] = []
    for p, repayment in zip(payments, repayments, strict=True):
        if repayment.idempotency_key not in inserted:
            existing = repayment_replay(
                idempotency_key=p.idempotency_key, source=source, external_ref=p.external_ref
            )
            if existing is None:  # pragma: no cover - the conflicting row is committed by now
                raise IntegrityError("repayment insert conflicted with a row not visible")
            result.append(replay_check(existing, loan_id=p.loan_id, amount=p.amount))
            continue
        loan, rows = locked[p.loan_id]
        allocated.append(
            _allocate_locked(
                loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
            )
        )
        result.append(repayment)
    if allocated:
        entry_ids = journal_post_many(entries=[a.spec for a in allocated], actor=actor)
        audits = [
            _posted(a, entry_id=entry_id, business_date=business_date, actor=actor)
            for a, entry_id in zip(allocated, entry_ids, strict=True)
        ]
        parts_execute(_write_parts(allocated, audits))
    return result
