"""Posting money received for a loan (`repayment_post`): lock, insert idempotently, then route
by purpose - an instalment through the waterfall, a payoff or a partial prepayment to
servicing.services.settlement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicing.models.loans import Loan, LoanScheduleRow
from servicing.models.repayments import (
    PaymentChannel,
    Repayment,
    RepaymentPurpose,
    RepaymentSource,
    RepaymentStatus,
)
from servicing.services.hotpath import (
    insert_unless_conflict,
)
from servicing.services.leases.accounting import lease_unearned_sync
from servicing.services.loans.account import loan_lock, posting_date
from servicing.services.repayments.apply import repayment_apply_locked
from servicing.services.repayments.guards import RepaymentError, amount_checked
from servicing.services.repayments.idempotency import (
    repayment_replay,
    replay_check,
    replay_unique_key,
)
from servicing.services.settlement.early import settle_early_locked
from servicing.services.settlement.prepayment import prepay_partial_locked


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
    payment_channel: str = PaymentChannel.TRANSFER,
    payer_account_hash: str = "",
) -> Repayment:
    """Create and post a repayment on a loan the caller has locked (loan_lock).

    Idempotent: the insert does nothing when the key (without a key: the source and
    external_ref) is taken, and the repayment holding it is replayed (`replay_check`); any
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
        payment_channel=payment_channel,
        payer_account_hash=payer_account_hash,
        prepared_by=prepared_by if getattr(prepared_by, "pk", None) else None,
        approved_by=approved_by if getattr(approved_by, "pk", None) else None,
    )
    if not insert_unless_conflict(repayment, **replay_unique_key(idempotency_key, external_ref)):
        existing = repayment_replay(
            idempotency_key=idempotency_key, source=source, external_ref=external_ref
        )
        if existing is None:  # pragma: no cover - the conflicting row is committed by now
            raise IntegrityError("repayment insert conflicted with a row not visible")
        return replay_check(existing, loan_id=loan.pk, amount=amount)
    return repayment_dispatch_locked(
        loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor
    )


def repayment_dispatch_locked(
    *, loan: Loan, rows: list, repayment: Repayment, business_date: dt.date, actor: Any
) -> Repayment:
    if repayment.purpose == RepaymentPurpose.PAYOFF:
        how = settle_early_locked
    elif repayment.purpose == RepaymentPurpose.PREPAYMENT:
        how = prepay_partial_locked
    else:
        how = repayment_apply_locked
    done = how(loan=loan, rows=rows, repayment=repayment, business_date=business_date, actor=actor)
    # a lease's interest that will now never be earned (settled early, prepaid) leaves the
    # unearned finance income with the payment
    lease_unearned_sync(loan=loan, on=business_date, actor=actor, key=f"repayment:{repayment.pk}")
    return done


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
    amount = amount_checked(amount)
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
        existing = repayment_replay(
            idempotency_key=idempotency_key, source=source, external_ref=external_ref
        )
        if existing is None:
            raise
        return replay_check(existing, loan_id=loan_id, amount=amount)
