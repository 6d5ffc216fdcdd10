"""Manual posting of a bank transfer with maker-checker: under the day's threshold it posts at
once, at or above it waits for a second person's approval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import keyed_hash
from autofin.money import ZERO, to_decimal
from autofin.policy import policy_value
from autofin.roles import MoneyAction
from servicing.models.loans import Loan
from servicing.models.repayments import (
    PaymentChannel,
    Repayment,
    RepaymentSource,
    RepaymentStatus,
)
from servicing.services.hotpath import prepared_execute
from servicing.services.loans.account import loan_lock, posting_date
from servicing.services.repayments.guards import (
    RepaymentError,
    amount_checked,
    money_action_authorize,
)
from servicing.services.repayments.idempotency import repayment_replay, replay_check
from servicing.services.repayments.posting import repayment_dispatch_locked, repayment_post_locked

# --- manual posting with maker-checker --------------------------------------------------------


def manual_approval_threshold(loan: Loan, *, on: dt.date | None = None) -> Decimal:
    """The product's threshold, else the policy's in force on `on` (default: today)."""
    value = (loan.product_rules or {}).get("manual_approval_threshold")
    if value:
        return to_decimal(value)
    return policy_value("servicing.manual_repayment_approval_threshold", on=on)


def manual_posted_on(*, loan: Loan, business_date: dt.date) -> Decimal:
    """What was posted by hand on the loan on that business date (approved postings included)."""
    # every agent's posting asks this under the loan's lock: one prepared statement, not an ORM
    # aggregate built and compiled each time
    with connection.cursor() as cursor:
        prepared_execute(
            cursor,
            f"SELECT sum(amount) FROM {Repayment._meta.db_table} "  # noqa: S608 - model's table
            "WHERE loan_id = %s AND source = %s AND status = %s AND received_on = %s",
            [loan.pk, RepaymentSource.MANUAL.value, RepaymentStatus.POSTED.value, business_date],
        )
        total = cursor.fetchone()[0]
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
    payment_channel: str = PaymentChannel.TRANSFER,
    payer_account: str = "",
) -> Repayment:
    """A servicing agent posts a bank transfer by hand. When the loan's manual postings of the
    business date, this one included, reach the threshold (product rule
    `manual_approval_threshold`, else the business policy) it waits for a second person's
    approval (`repayment_manual_approve`); below, it posts at once. The sum is taken under the
    loan's lock, so two postings just under the threshold cannot both slip through.

    `payment_channel` (cash / domestic transfer / cross-border) and the paying account (kept as
    a keyed hash) are what anti-money-laundering monitoring reads (servicing.services.aml)."""
    money_action_authorize(actor, MoneyAction.REPAYMENT_MANUAL_POST)
    amount = amount_checked(amount)
    if not (evidence or "").strip():
        raise RepaymentError(_("请填写入账凭证说明（如银行流水号、转账人）。"), field="evidence")
    if payment_channel not in PaymentChannel.values:
        raise RepaymentError(_("未知的资金渠道。"), field="payment_channel")
    aml = {"payment_channel": payment_channel, "payer_account_hash": keyed_hash(payer_account)}
    date = posting_date(business_date)
    try:
        with transaction.atomic():
            loan, rows = loan_lock(loan_id=loan_id, eligible_on=date)
            # No look-up of the key first: a replay is found by the insert itself (posted at
            # once: `repayment_post_locked` replays; awaiting approval: the unique key refuses
            # the create and the handler below replays), so a first posting reads nothing more.
            threshold = manual_approval_threshold(loan, on=date)
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
                    **aml,
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
                **aml,
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
        existing = repayment_replay(
            idempotency_key=idempotency_key, source=RepaymentSource.MANUAL, external_ref=None
        )
        if existing is None:
            raise
        return replay_check(existing, loan_id=loan_id, amount=amount)


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
        return repayment_dispatch_locked(
            loan=loan, rows=rows, repayment=repayment, business_date=date, actor=actor
        )


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
