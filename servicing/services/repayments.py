"""Repayments: posting from the three sources, the allocation waterfall, suspense (溢缴款),
reversal of bounced payments, manual posting with maker-checker, online payments and auto-debit.

Allocation waterfall: the product rules' ``waterfall`` (a list of buckets, or ``"by_instalment"``:
each row in turn, penalty, fee, interest, principal) decides the order; the default is penalty ->
fees -> overdue interest -> overdue principal -> current fee -> current interest -> current
principal, and inside each bucket the oldest instalment first. "penalty" and "fee" are those of
the overdue rows (so a payment of exactly the arrears clears them); "interest" / "principal"
(without a prefix) take the overdue rows and then the current one.
"Overdue" rows are rows in force whose due date is before the business date with anything
unpaid; the "current" row is the one whose period contains the business date (its due date is
today or later, its period started before today). What is left goes to the customer's suspense:
`suspense_apply` applies it to instalments when they fall due, `suspense_refund` pays it back.

Every repayment keeps its allocations per row and component (`RepaymentAllocation`), so a
reversal (`repayment_reverse`) restores the rows exactly and recomputes the penalty that the
reversed money had stopped (see `PenaltyAccrual`).

Locks: see servicing.services.loans (Loan row, then schedule rows by pk, then the document).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build, audit_record
from autofin.money import ZERO, format_cny, quantize_fen, to_decimal
from autofin.policy import policy_value
from autofin.roles import MoneyAction, can_move_money
from servicing.loan_rules import penalty_daily
from servicing.models import AccountCode as A
from servicing.models import JournalEntry, SourceType
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanScheduleRow,
    MortgageRelease,
    PenaltyAccrual,
    RowStatus,
)
from servicing.models.repayments import (
    AutoDebitBatch,
    AutoDebitItem,
    Component,
    PaymentAlert,
    PaymentAlertKind,
    PaymentOrder,
    PaymentOrderStatus,
    Repayment,
    RepaymentAllocation,
    RepaymentPurpose,
    RepaymentReversal,
    RepaymentSource,
    RepaymentStatus,
    ReversalStatus,
)
from servicing.services.accrual import penalty_accrue_in_memory, penalty_post
from servicing.services.hotpath import (
    insert_many_unless_conflict,
    insert_part,
    insert_unless_conflict,
    parts_execute,
    update_part,
)
from servicing.services.ledger import (
    EntrySpec,
    journal_entry_reverse,
    journal_post,
    journal_post_many,
    journal_post_spec,
)
from servicing.services.loans import (
    LoanError,
    loan_lock,
    loan_status_refresh,
    posting_date,
    row_status,
)

DEFAULT_WATERFALL = (
    "penalty",
    "fee",
    "overdue_interest",
    "overdue_principal",
    "current_fee",
    "current_interest",
    "current_principal",
)
BY_INSTALMENT = "by_instalment"
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


class RepaymentError(LoanError):
    pass


def money_action_authorize(actor: Any, action: MoneyAction) -> None:
    """Refuse a person who may not take `action` (autofin.roles.can_move_money, the check the
    pages and the API make too). System actors (a string: "bank", "eod", "payment:...") are the
    platform itself and pass."""
    if isinstance(actor, str):
        return
    if not can_move_money(actor, action):
        raise RepaymentError(_("您没有执行该资金操作的权限。"), code="forbidden")


# --- the waterfall -------------------------------------------------------------------------


def waterfall_order(rules: dict | None) -> tuple[str, ...] | str:
    order = (rules or {}).get("waterfall")
    if order == BY_INSTALMENT:
        return BY_INSTALMENT
    if not order:
        return DEFAULT_WATERFALL
    valid = set(DEFAULT_WATERFALL) | {"interest", "principal", "current_penalty"}
    unknown = [b for b in order if b not in valid]
    if unknown:
        raise RepaymentError(_("产品还款顺序配置有误：%(b)s") % {"b": ", ".join(unknown)})
    return tuple(order)


def _unpaid(row: LoanScheduleRow, component: str) -> Decimal:
    return getattr(row, component) - getattr(row, f"{component}_paid")


def eligible_rows(
    rows: list[LoanScheduleRow], business_date: dt.date
) -> tuple[list[LoanScheduleRow], LoanScheduleRow | None]:
    """(overdue rows oldest first, the current row or None) among the rows in force."""
    overdue = [
        r
        for r in rows
        if r.due_date < business_date and r.superseded_by_version is None and r.amount_unpaid > 0
    ]
    current = next(
        (
            r
            for r in rows
            if r.superseded_by_version is None
            and r.accrual_start < business_date <= r.due_date
            and r.amount_unpaid > 0
        ),
        None,
    )
    return overdue, current


def allocate(
    *,
    amount: Decimal,
    rows: list[LoanScheduleRow],
    business_date: dt.date,
    order: tuple[str, ...] | str = DEFAULT_WATERFALL,
    current: LoanScheduleRow | None = None,
) -> tuple[list[tuple[LoanScheduleRow, str, Decimal]], Decimal]:
    """Split `amount` over the rows by the waterfall; returns (allocations, leftover).

    Pure: the rows are not changed. Rows must be sorted by instalment number. `current`
    overrides the current row (an early settlement's settlement row).
    """
    overdue, found = eligible_rows(rows, business_date)
    current = current or found
    every = overdue + ([current] if current else [])
    taken: dict[tuple[int, str], Decimal] = {}
    result: list[tuple[LoanScheduleRow, str, Decimal]] = []
    remaining = amount

    def take(row: LoanScheduleRow, component: str) -> None:
        nonlocal remaining
        if remaining <= 0:
            return
        key = (id(row), component)
        open_amount = _unpaid(row, component) - taken.get(key, ZERO)
        part = min(open_amount, remaining)
        if part > 0:
            taken[key] = taken.get(key, ZERO) + part
            result.append((row, component, part))
            remaining -= part

    if order == BY_INSTALMENT:
        for row in every:
            for component in ("penalty", "fee", "interest", "principal"):
                take(row, component)
    else:
        for bucket in order:
            if bucket in ("penalty", "fee"):
                targets, component = overdue, bucket
            elif bucket in ("interest", "principal"):
                targets, component = every, bucket
            elif bucket.startswith("overdue_"):
                targets, component = overdue, bucket.removeprefix("overdue_")
            else:
                targets, component = ([current] if current else []), bucket.removeprefix("current_")
            for row in targets:
                take(row, component)
    return result, remaining


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
    if any(r.due_date < business_date and r.amount_unpaid > 0 for r in rows):
        total, segments = penalty_accrue_in_memory(loan, rows, business_date)
        penalty_post(
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
        description=f"{repayment.get_source_display()} {repayment.get_purpose_display()}",
        loan_id=loan.pk,
    )
    return _Allocated(repayment, loan, records, list(changed.values()), leftover, spec)


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
    """Allocation rows, changed schedule rows, loans, repayments and audit rows: the parts of
    ONE statement (servicing.services.hotpath), whatever the number of repayments."""
    records = [r for a in allocated for r in a.records]
    rows = _unique([r for a in allocated for r in a.changed])
    return [
        insert_part(records, ALLOCATION_FIELDS),
        update_part(rows, ROW_FIELDS) if rows else None,
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
            existing = _replay(
                idempotency_key=p.idempotency_key, source=source, external_ref=p.external_ref
            )
            if existing is None:  # pragma: no cover - the conflicting row is committed by now
                raise IntegrityError("repayment insert conflicted with a row not visible")
            result.append(_check_replay(existing, loan_id=p.loan_id, amount=p.amount))
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


def _replay(
    *, idempotency_key: str | None, source: str, external_ref: str | None
) -> Repayment | None:
    if idempotency_key:
        found = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    if external_ref:
        return Repayment.objects.filter(source=source, external_ref=external_ref).first()
    return None


def _replay_key(idempotency_key: str | None, external_ref: str | None) -> dict[str, Any]:
    """The unique key whose conflict makes an insert a replay: the idempotency key, else the
    provider's reference (partial unique index repayment_external_ref_unique). A clash on the
    other one raises; `repayment_post` then replays by it, as it does for a concurrent twin."""
    if idempotency_key or not external_ref:
        return {"unique_fields": ["idempotency_key"]}
    return {"unique_fields": ["source", "external_ref"], "where": '"external_ref" IS NOT NULL'}


def _check_replay(existing: Repayment, *, loan_id: int, amount: Decimal) -> Repayment:
    if existing.loan_id != loan_id or existing.amount != amount:
        raise RepaymentError(
            _("幂等键已用于另一笔还款（贷款 %(loan)s，金额 %(amount)s）。")
            % {"loan": existing.loan_id, "amount": existing.amount},
            code="idempotency_conflict",
        )
    return existing


def _amount(value: Any) -> Decimal:
    try:
        amount = quantize_fen(value)
    except (TypeError, ValueError):
        raise RepaymentError(_("请输入有效金额。"), field="amount") from None
    if amount != to_decimal(value) or amount <= 0:
        raise RepaymentError(_("金额必须大于零且最多两位小数。"), field="amount")
    return amount


def repayment_post_locked(
    *,
    loan: Loan,
    rows: list[LoanScheduleRow],
    amount: Decimal,
    source: str,
    business_date: dt.date,
    actor: Any,
    external_ref: str | None = None,
    idempotency_key: str | None = None,
    purpose: str = RepaymentPurpose.INSTALMENT,
    payoff_quote_id: int | None = None,
    prepayment_option: str = "",
    prepay_amount: Decimal | None = None,
    evidence: str = "",
    evidence_ref: str = "",
    prepared_by: Any = None,
    approved_by: Any = None,
) -> Repayment:
    """Create and post a repayment on a loan the caller has locked (loan_lock).

    Idempotent: the insert does nothing when the key (without a key: the source and
    external_ref) is taken, and the repayment holding it is replayed (`_check_replay`); any
    other unique violation raises IntegrityError."""
    repayment = Repayment(
        loan=loan,
        source=source,
        purpose=purpose,
        amount=amount,
        received_on=business_date,
        status=RepaymentStatus.POSTED,
        external_ref=external_ref,
        idempotency_key=idempotency_key,
        payoff_quote_id=payoff_quote_id,
        prepayment_option=prepayment_option or "",
        prepay_amount=prepay_amount,
        evidence=evidence,
        evidence_ref=evidence_ref,
        prepared_by=prepared_by if getattr(prepared_by, "pk", None) else None,
        approved_by=approved_by if getattr(approved_by, "pk", None) else None,
    )
    if not insert_unless_conflict(repayment, **_replay_key(idempotency_key, external_ref)):
        existing = _replay(
            idempotency_key=idempotency_key, source=source, external_ref=external_ref
        )
        if existing is None:  # pragma: no cover - the conflicting row is committed by now
            raise IntegrityError("repayment insert conflicted with a row not visible")
        return _check_replay(existing, loan_id=loan.pk, amount=amount)
    return _dispatch(
        loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
    )


def _dispatch(
    *, loan: Loan, rows: list, repayment: Repayment, business_date: dt.date, actor: Any
) -> Repayment:
    from servicing.services import settlement

    if repayment.purpose == RepaymentPurpose.PAYOFF:
        return settlement.settle_early_locked(
            loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
        )
    if repayment.purpose == RepaymentPurpose.PREPAYMENT:
        return settlement.prepay_partial_locked(
            loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
        )
    return repayment_apply_locked(
        loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
    )


def repayment_post(
    *,
    loan_id: int,
    amount: Decimal | str,
    source: str,
    actor: Any,
    business_date: dt.date | None = None,
    external_ref: str | None = None,
    idempotency_key: str | None = None,
    purpose: str = RepaymentPurpose.INSTALMENT,
    payoff_quote_id: int | None = None,
    prepayment_option: str = "",
    prepay_amount: Decimal | None = None,
    evidence: str = "",
    evidence_ref: str = "",
    prepared_by: Any = None,
    approved_by: Any = None,
) -> Repayment:
    """Post money received for a loan: allocate by the waterfall, overpayment to suspense.

    Idempotent by `idempotency_key` and by (source, external_ref): a replay returns the first
    repayment (a replay with another loan or amount raises RepaymentError code
    "idempotency_conflict"). Locks the loan, then its rows by pk.
    """
    amount = _amount(amount)
    if source not in RepaymentSource.values:
        raise RepaymentError(_("未知的还款来源：%(s)s") % {"s": source}, field="source")
    date = posting_date(business_date)
    try:
        with transaction.atomic():
            loan, rows = loan_lock(
                loan_id=loan_id,
                eligible_on=date if purpose == RepaymentPurpose.INSTALMENT else None,
            )
            return repayment_post_locked(
                loan=loan,
                rows=rows,
                amount=amount,
                source=source,
                business_date=date,
                actor=actor,
                external_ref=external_ref,
                idempotency_key=idempotency_key,
                purpose=purpose,
                payoff_quote_id=payoff_quote_id,
                prepayment_option=prepayment_option,
                prepay_amount=prepay_amount,
                evidence=evidence,
                evidence_ref=evidence_ref,
                prepared_by=prepared_by,
                approved_by=approved_by,
            )
    except IntegrityError:
        # A concurrent request with the same key on another loan won the unique constraint.
        existing = _replay(
            idempotency_key=idempotency_key, source=source, external_ref=external_ref
        )
        if existing is None:
            raise
        return _check_replay(existing, loan_id=loan_id, amount=amount)


# --- manual posting with maker-checker --------------------------------------------------------


def manual_approval_threshold(loan: Loan) -> Decimal:
    value = (loan.product_rules or {}).get("manual_approval_threshold")
    if value:
        return to_decimal(value)
    return policy_value("servicing.manual_repayment_approval_threshold")


def manual_posted_on(*, loan: Loan, business_date: dt.date) -> Decimal:
    """What was posted by hand on the loan on that business date (approved postings included)."""
    total = Repayment.objects.filter(
        loan=loan,
        source=RepaymentSource.MANUAL,
        status=RepaymentStatus.POSTED,
        received_on=business_date,
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def repayment_manual_submit(
    *,
    loan_id: int,
    amount: Decimal | str,
    evidence: str,
    actor: Any,
    evidence_ref: str = "",
    idempotency_key: str | None = None,
    business_date: dt.date | None = None,
) -> Repayment:
    """A servicing agent posts a bank transfer by hand. When the loan's manual postings of the
    business date, this one included, reach the threshold (product rule
    `manual_approval_threshold`, else the business policy) it waits for a second person's
    approval (`repayment_manual_approve`); below, it posts at once. The sum is taken under the
    loan's lock, so two postings just under the threshold cannot both slip through."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_MANUAL_POST)
    amount = _amount(amount)
    if not (evidence or "").strip():
        raise RepaymentError(_("请填写入账凭证说明（如银行流水号、转账人）。"), field="evidence")
    date = posting_date(business_date)
    try:
        with transaction.atomic():
            loan, rows = loan_lock(loan_id=loan_id, eligible_on=date)
            existing = _replay(
                idempotency_key=idempotency_key, source=RepaymentSource.MANUAL, external_ref=None
            )
            if existing is not None:
                return _check_replay(existing, loan_id=loan_id, amount=amount)
            threshold = manual_approval_threshold(loan)
            day_total = manual_posted_on(loan=loan, business_date=date) + amount
            if day_total < threshold:
                return repayment_post_locked(
                    loan=loan,
                    rows=rows,
                    amount=amount,
                    source=RepaymentSource.MANUAL,
                    business_date=date,
                    actor=actor,
                    idempotency_key=idempotency_key,
                    evidence=evidence.strip(),
                    evidence_ref=evidence_ref,
                    prepared_by=actor,
                )
            repayment = Repayment.objects.create(
                loan=loan,
                source=RepaymentSource.MANUAL,
                amount=amount,
                status=RepaymentStatus.PENDING_APPROVAL,
                idempotency_key=idempotency_key,
                evidence=evidence.strip(),
                evidence_ref=evidence_ref,
                prepared_by=actor,
            )
            audit_record(
                actor=actor,
                obj=repayment,
                action="repayment_submit",
                to_state=RepaymentStatus.PENDING_APPROVAL,
                data={
                    "amount": str(amount),
                    "day_total": str(day_total),
                    "threshold": str(threshold),
                },
            )
            return repayment
    except IntegrityError:
        # A concurrent request with the same key on another loan won the unique constraint.
        existing = _replay(
            idempotency_key=idempotency_key, source=RepaymentSource.MANUAL, external_ref=None
        )
        if existing is None:
            raise
        return _check_replay(existing, loan_id=loan_id, amount=amount)


def repayment_manual_approve(
    *, repayment_id: int, actor: Any, business_date: dt.date | None = None
) -> Repayment:
    """The checker approves a pending manual repayment, which posts it. The checker must not be
    the one who prepared it. Approving twice returns the posted repayment."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_MANUAL_APPROVE)
    loan_id = Repayment.objects.values_list("loan_id", flat=True).get(pk=repayment_id)
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id, eligible_on=date)
        repayment = Repayment.objects.select_for_update().get(pk=repayment_id)
        if repayment.status == RepaymentStatus.POSTED and repayment.approved_by_id == actor.pk:
            return repayment
        if repayment.status != RepaymentStatus.PENDING_APPROVAL:
            raise RepaymentError(_("该还款不在待复核状态。"))
        if repayment.prepared_by_id == actor.pk:
            raise RepaymentError(_("复核人不能与经办人为同一人。"), code="maker_checker")
        repayment.approved_by = actor
        return _dispatch(loan=loan, rows=rows, repayment=repayment, business_date=date, actor=actor)


def repayment_manual_reject(*, repayment_id: int, actor: Any, reason: str) -> Repayment:
    """The checker refuses a pending manual repayment: nothing is posted. Not the maker."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_MANUAL_APPROVE)
    if not (reason or "").strip():
        raise RepaymentError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        repayment = Repayment.objects.select_for_update().get(pk=repayment_id)
        if repayment.status == RepaymentStatus.REJECTED and repayment.approved_by_id == actor.pk:
            return repayment
        if repayment.status != RepaymentStatus.PENDING_APPROVAL:
            raise RepaymentError(_("该还款不在待复核状态。"))
        if repayment.prepared_by_id == actor.pk:
            raise RepaymentError(_("复核人不能与经办人为同一人。"), code="maker_checker")
        repayment.status = RepaymentStatus.REJECTED
        repayment.approved_by = actor  # the checker who decided (the maker-checker CHECK holds)
        repayment.reversal_reason = reason[:255]
        repayment.save(update_fields=["status", "approved_by", "reversal_reason"])
        audit_record(
            actor=actor,
            obj=repayment,
            action="repayment_reject",
            from_state=RepaymentStatus.PENDING_APPROVAL,
            to_state=RepaymentStatus.REJECTED,
            reason=reason,
        )
    return repayment


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
        if loan.status == "paid_off":
            MortgageRelease.objects.filter(loan=loan, status="pending").delete()
        loan_status_refresh(loan=loan, rows=rows, business_date=date, actor=actor, reason=reason)
    return repayment


def _reverse_locked(
    *,
    loan: Loan,
    rows: list[LoanScheduleRow],
    repayment: Repayment,
    reason: str,
    date: dt.date,
    actor: Any,
) -> None:
    if repayment.status != RepaymentStatus.POSTED:
        raise RepaymentError(_("只有已入账的还款可以冲正。"))
    if repayment.purpose != RepaymentPurpose.INSTALMENT:
        raise RepaymentError(
            _("提前结清或部分提前还款已变更还款计划，不能直接冲正，请走调账流程。")
        )
    by_pk = {r.pk: r for r in rows}
    allocations = list(repayment.allocations.all())
    missing = [a for a in allocations if a.row_id is not None and a.row_id not in by_pk]
    if missing:
        raise RepaymentError(_("该还款之后还款计划已变更（重组或提前还款），不能直接冲正。"))
    suspense_part = sum((a.amount for a in allocations if a.component == Component.SUSPENSE), ZERO)
    if suspense_part > loan.suspense_balance:
        # The overpayment was already applied: undo later suspense applications, newest first.
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
    reversal = journal_entry_reverse(
        entry_id=repayment.journal_entry_id, reason=reason, actor=actor, business_date=date
    )
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
    # Penalty the money had stopped: segments accrued since the payment on the lower base.
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
        from servicing.services.accrual import signed_lines

        journal_post(
            business_date=date,
            source_type=SourceType.PENALTY,
            source_id=loan.pk,
            lines=signed_lines(A.PENALTY_RECEIVABLE, A.PENALTY_INCOME, extra, loan.pk),
            idempotency_key=f"penalty-reversal:{repayment.pk}",
            description="冲正补计罚息",
            actor=actor,
            loan_id=loan.pk,
        )
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


# --- suspense ------------------------------------------------------------------------------------


def suspense_apply(
    *, loan_id: int, actor: Any = "eod", business_date: dt.date | None = None
) -> Repayment | None:
    """Apply the loan's suspense (overpayments) to what is due, by the waterfall. The nightly batch
    calls it on due dates; None when there is nothing to apply."""
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id, eligible_on=date)
        if loan.suspense_balance <= 0 or loan.status in CLOSED_STATUSES:
            return None
        if any(r.due_date < date and r.amount_unpaid > 0 for r in rows):
            total, segments = penalty_accrue_in_memory(loan, rows, date)
            penalty_post(loan=loan, total=total, segments=segments, business_date=date, actor=actor)
        overdue, current = eligible_rows(rows, date)
        due = sum((r.amount_unpaid for r in overdue), ZERO)
        if current is not None:
            due += current.amount_unpaid
        amount = min(due, loan.suspense_balance)
        if amount <= 0:
            return None
        repayment = Repayment.objects.create(
            loan=loan,
            source=RepaymentSource.SUSPENSE,
            amount=amount,
            received_on=date,
            status=RepaymentStatus.POSTED,
        )
        return repayment_apply_locked(
            loan=loan, rows=rows, repayment=repayment, business_date=date, actor=actor
        )


def suspense_apply_due(*, business_date: dt.date, actor: Any = "eod") -> int:
    """The nightly batch's step: apply suspense on every open loan that holds some."""
    ids = list(
        Loan.objects.filter(suspense_balance__gt=0)
        .exclude(status__in=list(CLOSED_STATUSES))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    applied = 0
    for loan_id in ids:
        if suspense_apply(loan_id=loan_id, actor=actor, business_date=business_date):
            applied += 1
    return applied


def suspense_refund(
    *,
    loan_id: int,
    amount: Decimal | str,
    actor: Any,
    reason: str,
    idempotency_key: str,
    business_date: dt.date | None = None,
):
    """Pay suspense back to the customer (customer suspense Dr / bank clearing Cr)."""
    amount = _amount(amount)
    date = posting_date(business_date)
    key = f"suspense-refund:{idempotency_key}"
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        replay = JournalEntry.objects.filter(idempotency_key=key).first()
        if replay is not None:
            return replay
        if amount > loan.suspense_balance:
            raise RepaymentError(
                _("退款金额超过溢缴款余额 %(b)s。") % {"b": loan.suspense_balance}, field="amount"
            )
        entry = journal_post(
            business_date=date,
            source_type=SourceType.REPAYMENT,
            source_id=f"refund:{loan.pk}",
            lines=[
                (A.CUSTOMER_SUSPENSE, "D", amount, loan.pk),
                (A.BANK_CLEARING, "C", amount, loan.pk),
            ],
            idempotency_key=key,
            description=_("溢缴款退款"),
            actor=actor,
            loan_id=loan.pk,
        )
        loan.suspense_balance -= amount
        loan.save(update_fields=LOAN_FIELDS)
        audit_record(
            actor=actor,
            obj=loan,
            action="suspense_refund",
            reason=reason,
            data={"amount": str(amount), "entry": entry.pk},
        )
    return entry


# --- online payments -------------------------------------------------------------------------------


def payment_ceiling(*, loan: Loan) -> Decimal:
    """The most an online order may ask: everything still owed on the schedule in force
    (principal, interest, fees and penalty of every unpaid row) less the suspense already held.
    Settling early never costs more than this, so no honest payment needs more."""
    owed = sum(
        (
            r.amount_unpaid
            for r in LoanScheduleRow.objects.filter(loan=loan, superseded_by_version__isnull=True)
        ),
        ZERO,
    )
    return max(owed - loan.suspense_balance, ZERO)


def _check_order_replay(order: PaymentOrder, *, loan_id: int, purpose: str, **asked) -> None:
    """A key reused for another loan, purpose or amount is refused, never answered with the
    first order."""
    same = order.loan_id == loan_id and order.purpose == purpose
    for field, value in asked.items():
        if value not in (None, "") and same:
            current = getattr(order, field)
            same = (_amount(value) if field.endswith("amount") else value) == current
    if not same:
        raise RepaymentError(
            _("该幂等键已用于另一笔支付订单，请刷新页面后重试。"), code="idempotency_conflict"
        )


def _order_at_provider(order: PaymentOrder, *, return_url: str) -> tuple[PaymentOrder, str]:
    """Ask the provider for the order's payment once: under the order row's lock, so a
    concurrent duplicate waits here and finds the reference instead of creating a second one."""
    from servicing.adapters import payment_provider

    provider = payment_provider()
    if order.provider_ref is None:
        with transaction.atomic():
            order = PaymentOrder.objects.select_for_update().select_related("loan").get(pk=order.pk)
            if order.provider_ref is None:
                created = provider.create_payment(
                    amount=order.amount,
                    description=f"{order.loan.contract_ref} {order.purpose}",
                    return_url=return_url,
                    idempotency_key=order.idempotency_key or f"payment-order:{order.pk}",
                )
                order.provider_ref = created.provider_ref
                order.save(update_fields=["provider_ref"])
    return order, provider.pay_url(order.provider_ref)


def payment_order_create(
    *,
    loan_id: int,
    actor: Any,
    amount: Decimal | str | None = None,
    purpose: str = RepaymentPurpose.INSTALMENT,
    payoff_quote_id: int | None = None,
    prepay_amount: Decimal | str | None = None,
    prepayment_option: str = "",
    idempotency_key: str | None = None,
    return_url: str = "",
) -> tuple[PaymentOrder, str]:
    """Start an online payment with the payment provider; returns (order, the provider's pay URL).

    For a payoff the amount is the quote's total; for a partial prepayment the prepaid principal
    plus the early-settlement fee on it; an instalment payment is capped by `payment_ceiling`.
    The order row claims `idempotency_key` (committed) before the provider is called; a replay
    with the same loan, purpose and amount returns that order, anything else is refused."""
    from servicing.adapters import payment_provider
    from servicing.services import settlement

    asked = {"amount": amount, "prepay_amount": prepay_amount, "payoff_quote_id": payoff_quote_id}
    if idempotency_key:
        found = PaymentOrder.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            _check_order_replay(found, loan_id=loan_id, purpose=purpose, **asked)
            return _order_at_provider(found, return_url=return_url)
    loan = Loan.objects.get(pk=loan_id)
    if loan.status in CLOSED_STATUSES:
        raise RepaymentError(_("贷款已结清，无需还款。"))
    if purpose == RepaymentPurpose.PAYOFF:
        quote = settlement.payoff_quote_usable(loan=loan, quote_id=payoff_quote_id)
        amount = quote.total
    elif purpose == RepaymentPurpose.PREPAYMENT:
        terms = settlement.prepayment_terms(
            loan=loan, prepay_amount=prepay_amount, option=prepayment_option
        )
        amount = terms.total
        prepay_amount = terms.prepay
    amount = _amount(amount)
    if purpose == RepaymentPurpose.INSTALMENT:
        ceiling = payment_ceiling(loan=loan)
        if amount > ceiling:
            raise RepaymentError(
                _("支付金额不能超过贷款尚需偿还的全部金额 %(max)s。")
                % {"max": format_cny(ceiling)},
                field="amount",
                code="above_payoff",
            )
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                loan=loan,
                amount=amount,
                purpose=purpose,
                payoff_quote_id=payoff_quote_id if purpose == RepaymentPurpose.PAYOFF else None,
                prepayment_option=prepayment_option or "",
                prepay_amount=prepay_amount if purpose == RepaymentPurpose.PREPAYMENT else None,
                provider=payment_provider().name,
                provider_ref=None,
                idempotency_key=idempotency_key,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            audit_record(
                actor=actor,
                obj=order,
                action="payment_order_create",
                to_state=order.status,
                data={"amount": str(amount), "purpose": purpose},
            )
    except IntegrityError:
        found = PaymentOrder.objects.filter(idempotency_key=idempotency_key).first()
        if found is None:
            raise
        _check_order_replay(found, loan_id=loan_id, purpose=purpose, **asked)
        order = found
    return _order_at_provider(order, return_url=return_url)


def _callback_amount(value: Any) -> Decimal | None:
    try:
        return _amount(value)
    except RepaymentError:
        return None


def _payment_alert(
    *,
    order: PaymentOrder,
    kind: str,
    payload: dict,
    claimed: Decimal | None,
    park: bool,
    business_date: dt.date,
    actor: str,
) -> PaymentAlert:
    """Open an alert for finance (once per distinct callback) and, when the provider says it
    took money, park that money in unidentified receipts: booked, never allocated to the loan."""
    callback_status = str(payload.get("status") or "")[:20]
    found = PaymentAlert.objects.filter(
        order=order, kind=kind, callback_status=callback_status, claimed_amount=claimed
    ).first()
    if found is not None:
        return found
    alert = PaymentAlert.objects.create(
        order=order,
        kind=kind,
        order_status=order.status,
        callback_status=callback_status,
        order_amount=order.amount,
        claimed_amount=claimed,
        payload={k: str(v) for k, v in payload.items()},
    )
    if park and claimed is not None:
        entry = journal_post(
            business_date=business_date,
            source_type="payment_order",
            source_id=order.pk,
            lines=[
                (A.BANK_CLEARING, "D", claimed, None),
                (A.UNIDENTIFIED_RECEIPTS, "C", claimed, None),
            ],
            idempotency_key=f"payment-alert:{alert.pk}",
            description=_("支付回调待核实，暂挂待查明款项"),
            actor=actor,
        )
        alert.parked_entry_id = entry.pk
        alert.save(update_fields=["parked_entry_id"])
    audit_record(
        actor=actor,
        obj=alert,
        action="payment_alert",
        to_state=kind,
        data={
            "order": order.pk,
            "order_amount": str(order.amount),
            "claimed": str(claimed),
            "parked": alert.parked_entry_id,
        },
    )
    return alert


def payment_callback_handle(*, payload: dict) -> PaymentOrder:
    """The provider's callback, already verified (servicing.adapters.payment_callback_verify
    checked its signature with the provider's secret): check it against the order, then post the ORDER's amount
    once. Idempotent by the provider's reference: the same callback again changes nothing.

    What the handler will not act on alone opens a `PaymentAlert` and is never dropped: a success
    whose amount differs from the order (the order is held and the claimed money parked in
    unidentified receipts, never posted to the loan), and any callback contradicting a final
    state (a success after a failure is parked the same way)."""
    from servicing.adapters import payment_provider

    provider = payment_provider()
    if not isinstance(payload, dict):
        raise RepaymentError(_("支付回调内容格式无效。"), code="bad_payload")
    ref = str(payload.get("provider_ref") or "")
    order = PaymentOrder.objects.filter(provider_ref=ref).first() if ref else None
    if order is None:
        raise RepaymentError(_("未知的支付订单：%(ref)s") % {"ref": ref}, code="unknown_order")
    actor = f"payment:{provider.name}"
    success = payload.get("status") == "success"
    claimed = _callback_amount(payload.get("amount"))
    date = posting_date(None)
    with transaction.atomic():
        loan, rows = loan_lock(
            loan_id=order.loan_id,
            eligible_on=date if order.purpose == RepaymentPurpose.INSTALMENT else None,
        )
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        order.callback_count += 1
        before = order.status
        alert = {
            "order": order,
            "payload": payload,
            "claimed": claimed,
            "business_date": date,
            "actor": actor,
        }
        if before != PaymentOrderStatus.CREATED:
            repeated = (
                before == PaymentOrderStatus.PAID and success and claimed == order.amount
            ) or (before == PaymentOrderStatus.FAILED and not success)
            if not repeated:
                kind = (
                    PaymentAlertKind.AMOUNT_MISMATCH
                    if before == PaymentOrderStatus.HELD
                    else PaymentAlertKind.AFTER_FINAL_STATE
                )
                _payment_alert(kind=kind, park=success, **alert)
            order.save(update_fields=["callback_count"])
            return order
        if success and claimed != order.amount:
            _payment_alert(kind=PaymentAlertKind.AMOUNT_MISMATCH, park=True, **alert)
            order.status = PaymentOrderStatus.HELD
        elif success:
            order.repayment = repayment_post_locked(
                loan=loan,
                rows=rows,
                amount=order.amount,
                source=RepaymentSource.ONLINE,
                business_date=date,
                actor=actor,
                external_ref=ref,
                idempotency_key=f"online:{ref}",
                purpose=order.purpose,
                payoff_quote_id=order.payoff_quote_id,
                prepayment_option=order.prepayment_option,
                prepay_amount=order.prepay_amount,
            )
            order.status = PaymentOrderStatus.PAID
        else:
            order.status = PaymentOrderStatus.FAILED
        order.save(update_fields=["status", "repayment", "callback_count"])
        audit_record(
            actor=actor,
            obj=order,
            action="payment_callback",
            from_state=before,
            to_state=order.status,
            data={"claimed": str(claimed), "order_amount": str(order.amount)},
        )
    return order


# --- auto-debit ----------------------------------------------------------------------------------


AUTO_DEBIT_HEADER = ["instruction_ref", "contract_ref", "amount"]
RESULT_HEADER = ["instruction_ref", "amount", "result", "reason", "bank_ref"]


def amount_due(*, loan: Loan, rows: list[LoanScheduleRow], business_date: dt.date) -> Decimal:
    """What falls due by `business_date` (overdue rows and the row due that day), less suspense."""
    due = sum(
        (r.amount_unpaid for r in rows if r.due_date <= business_date and r.amount_unpaid > 0),
        ZERO,
    )
    return max(due - loan.suspense_balance, ZERO)


def auto_debit_file_write(*, business_date: dt.date, actor: Any = "eod") -> AutoDebitBatch:
    """The day's auto-debit instructions as a CSV file for the bank (one line per loan with
    something due). Idempotent per business date."""
    existing = AutoDebitBatch.objects.filter(business_date=business_date).first()
    if existing is not None:
        return existing
    # one condition on ONE row (an exclude() across the relation would drop every loan with
    # any paid row)
    owing = LoanScheduleRow.objects.filter(
        loan=OuterRef("pk"),
        due_date__lte=business_date,
        superseded_by_version__isnull=True,
    ).exclude(status=RowStatus.PAID)
    loans = (
        Loan.objects.exclude(status__in=list(CLOSED_STATUSES)).filter(Exists(owing)).order_by("pk")
    )
    with transaction.atomic():
        batch = AutoDebitBatch.objects.create(
            business_date=business_date,
            file_name=f"autodebit_{business_date:%Y%m%d}.csv",
            content="",
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(AUTO_DEBIT_HEADER)
        items = []
        for loan in loans:
            rows = list(
                LoanScheduleRow.objects.filter(loan=loan, superseded_by_version__isnull=True)
                .exclude(status=RowStatus.PAID)
                .order_by("instalment_no")
            )
            due = amount_due(loan=loan, rows=rows, business_date=business_date)
            if due <= 0:
                continue
            ref = f"AD{business_date:%Y%m%d}{loan.pk:010d}"
            items.append(AutoDebitItem(batch=batch, loan=loan, amount=due, instruction_ref=ref))
            writer.writerow([ref, loan.contract_ref, f"{due:.2f}"])
        AutoDebitItem.objects.bulk_create(items)
        batch.content = out.getvalue()
        batch.save(update_fields=["content"])
        audit_record(
            actor=actor, obj=batch, action="auto_debit_file_write", data={"items": len(items)}
        )
    return batch


@dataclass
class AutoDebitSummary:
    succeeded: int = 0
    failed: int = 0
    replayed: int = 0
    unknown: int = 0


def auto_debit_results_apply(
    *,
    content: str,
    actor: Any = "bank",
    business_date: dt.date | None = None,
    chunk: int | None = None,
) -> AutoDebitSummary:
    """Apply the bank's results file: post each successful debit once, mark failures.

    Lines go in chunks (`AUTO_DEBIT_APPLY_CHUNK`, default 200), each its own transaction: the
    chunk's loans locked in id order with their reachable rows, then its items, then the
    successful debits posted set-based (`repayments_post_many_locked`: the same waterfall and
    ledger entries as one `repayment_post` each, in a handful of statements for the chunk). A
    replayed file, or a line already applied, posts nothing twice."""
    summary = AutoDebitSummary()
    date = posting_date(business_date)
    size = chunk or settings.AUTO_DEBIT_APPLY_CHUNK
    lines = {}
    for line in csv.DictReader(io.StringIO(content)):
        ref = (line.get("instruction_ref") or "").strip()
        lines.setdefault(ref, line)  # a line twice in one file is applied once
    refs = list(lines)
    for start in range(0, len(refs), size):
        part = refs[start : start + size]
        known = dict(
            AutoDebitItem.objects.filter(instruction_ref__in=part).values_list(
                "instruction_ref", "loan_id"
            )
        )
        summary.unknown += len(part) - len(known)
        if known:
            _auto_debit_chunk(
                lines={ref: lines[ref] for ref in known},
                loan_ids=list(known.values()),
                date=date,
                actor=actor,
                summary=summary,
            )
    return summary


def _auto_debit_chunk(
    *, lines: dict, loan_ids: list[int], date: dt.date, actor: Any, summary: AutoDebitSummary
) -> None:
    with transaction.atomic():
        locked = loans_lock(loan_ids=loan_ids, eligible_on=date)
        items = list(
            AutoDebitItem.objects.select_for_update()
            .filter(instruction_ref__in=list(lines))
            .order_by("pk")
        )
        payments: list[PaymentIn] = []
        succeeded: list[AutoDebitItem] = []
        changed: list[AutoDebitItem] = []
        for item in items:
            if item.result != AutoDebitItem.Result.PENDING:
                summary.replayed += 1
                continue
            line = lines[item.instruction_ref]
            if line.get("result") == "success":
                payments.append(
                    PaymentIn(
                        loan_id=item.loan_id,
                        amount=_amount(line.get("amount")),
                        idempotency_key=f"auto-debit:{item.instruction_ref}",
                        external_ref=(line.get("bank_ref") or item.instruction_ref).strip(),
                    )
                )
                succeeded.append(item)
                item.result = AutoDebitItem.Result.SUCCESS
                summary.succeeded += 1
            else:
                item.result = AutoDebitItem.Result.FAILED
                item.failure_reason = (line.get("reason") or "")[:100]
                summary.failed += 1
            changed.append(item)
        if payments:
            posted = repayments_post_many_locked(
                locked=locked,
                payments=payments,
                source=RepaymentSource.AUTO_DEBIT,
                business_date=date,
                actor=actor,
            )
            for item, repayment in zip(succeeded, posted, strict=True):
                item.repayment = repayment
        if changed:
            audits = [
                audit_entry_build(
                    actor=actor, obj=item, action="auto_debit_result", to_state=item.result
                )
                for item in changed
            ]
            parts_execute(
                [
                    update_part(changed, ["result", "failure_reason", "repayment"]),
                    insert_part(audits),
                ]
            )
