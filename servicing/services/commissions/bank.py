"""A released payout at the bank, by the disbursement's rules: "sending" is committed before the
bank is called (no lock held meanwhile); a timeout leaves the fate unknown until the bank is
asked by key, and a payment the bank never saw is sent again under the SAME key; the bank's
final answer is recorded once. On success, in one transaction: 借 commission payable / 贷 bank
clearing on the dealer's sub-ledger, and the statement marked 已付 by the dealers app."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import decrypt
from autofin.money import quantize_fen
from dealers.services import commission_statement_mark_paid
from servicing.gateway.interface import (
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models import AccountCode, SourceType
from servicing.models.commission_payouts import BankStatus, CommissionPayout, PayoutStatus
from servicing.services.commissions.payouts import PayoutError, payout_lock
from servicing.services.ledger.posting import journal_post

log = logging.getLogger(__name__)
B = BankStatus
RESENDABLE = (B.PENDING, B.SENDING, B.UNKNOWN)


def commission_payout_send(*, payout_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send the payout under its key (the Celery task's body); safe to run twice."""
    gateway = gateway or payment_gateway()
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status != PayoutStatus.RELEASED or payout.bank_status not in RESENDABLE:
            return payout.bank_status
        payout.bank_status = B.SENDING
        payout.sends += 1
        payout.sent_at = timezone.now()
        payout.save(update_fields=["bank_status", "sends", "sent_at", "updated_at"])
        request = {
            "idempotency_key": payout.idempotency_key,
            "amount": payout.amount,
            "account_number": decrypt(payout.account_number_enc),
            "account_name": payout.account_name,
            "bank_name": payout.bank_name,
            "reference": f"{payout.statement_number} 返佣",
            "requested_date": payout.business_date,
        }
    # "sending" is committed; no lock is held while the bank is called.
    try:
        result = gateway.send(**request)
    except GatewayTimeout as exc:
        return _record(payout_id, B.UNKNOWN, error=str(exc))
    except GatewayRejected as exc:
        key = request["idempotency_key"]
        return commission_payout_settle(key=key, status="failed", reason=str(exc), source="send")[0]
    return _record(payout_id, B.SENT, bank_ref=result.bank_ref)


def _record(payout_id: int, bank_status: str, *, bank_ref: str = "", error: str = "") -> str:
    """What the bank answered to a send; never moves a settled payout back."""
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status != PayoutStatus.RELEASED or payout.bank_status not in RESENDABLE:
            return payout.bank_status  # a callback got here first
        payout.bank_status = bank_status
        payout.bank_ref = bank_ref[:64] or payout.bank_ref
        payout.failure_reason = error[:255]
        payout.save(update_fields=["bank_status", "bank_ref", "failure_reason", "updated_at"])
        return payout.bank_status


def commission_payout_settle(
    *,
    key: str,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[str, bool]:
    """The bank's final answer for a payout's key (callback, status query or refused send),
    recorded once. Returns (the payout's bank status, whether this call changed it)."""
    if status not in (B.SUCCEEDED, B.FAILED):
        raise PayoutError(_("银行回调状态无效。"), code="bad_status")
    with transaction.atomic():
        payout_id = CommissionPayout.objects.values_list("pk", flat=True).get(idempotency_key=key)
        payout = payout_lock(payout_id)
        if payout.idempotency_key != key or payout.status != PayoutStatus.RELEASED:
            if payout.bank_status != status:
                log.error("bank says %s for %s, recorded %s", status, key, payout.bank_status)
            return payout.bank_status, False
        if amount is not None and quantize_fen(amount) != payout.amount:
            raise PayoutError(
                _("银行金额 %(bank)s 与付款金额 %(ours)s 不符。")
                % {"bank": amount, "ours": payout.amount},
                code="amount_mismatch",
            )
        if bank_ref:
            payout.bank_ref = bank_ref[:64]
        if status == B.SUCCEEDED:
            _paid(payout)
        else:
            payout.bank_status = B.FAILED
            payout.status = PayoutStatus.FAILED
            payout.failure_reason = reason[:255]
            payout.save()
        audit_record(
            actor=f"bank:{source}",
            obj=payout,
            action="commission_payout_settle",
            from_state=PayoutStatus.RELEASED,
            to_state=payout.status,
            reason=reason,
            data={"key": key, "bank_ref": payout.bank_ref},
        )
        return payout.bank_status, True


def _paid(payout: CommissionPayout) -> None:
    paid_on = business_date_for_posting()
    entry = journal_post(
        business_date=paid_on,
        source_type=SourceType.COMMISSION,
        source_id=f"payout-{payout.pk}",
        lines=[
            (AccountCode.COMMISSION_PAYABLE, "D", payout.amount, None, payout.dealer_id),
            (AccountCode.BANK_CLEARING, "C", payout.amount),
        ],
        idempotency_key=f"commission-pay:{payout.idempotency_key}",
        description=_("经销商返佣付款 %(number)s") % {"number": payout.statement_number},
        actor=SYSTEM_ACTOR,
    )
    payout.bank_status = B.SUCCEEDED
    payout.status = PayoutStatus.PAID
    payout.paid_on = paid_on
    payout.journal_entry_id = entry.pk
    payout.save()
    commission_statement_mark_paid(
        statement_id=payout.statement_id,
        amount=payout.amount,
        paid_on=paid_on,
        bank_ref=payout.bank_ref,
    )


def commission_payout_recover(*, payout_id: int, gateway: PaymentGateway | None = None) -> str:
    """Settle a payout whose fate we do not know: ask the bank by key; if it never saw it,
    send again under the same key."""
    gateway = gateway or payment_gateway()
    payout = CommissionPayout.objects.get(pk=payout_id)
    if payout.status != PayoutStatus.RELEASED:
        return payout.bank_status
    if payout.bank_status == B.PENDING:
        return commission_payout_send(payout_id=payout_id, gateway=gateway)
    answer = gateway.status(idempotency_key=payout.idempotency_key)
    if answer.status in (B.SUCCEEDED, B.FAILED):
        return commission_payout_settle(
            key=payout.idempotency_key,
            status=answer.status,
            bank_ref=answer.bank_ref,
            amount=answer.amount,
            reason=answer.reason,
            source="status",
        )[0]
    if answer.status == "not_found":
        return commission_payout_send(payout_id=payout_id, gateway=gateway)
    return payout.bank_status


def commission_payouts_to_recover(*, older_than: dt.timedelta) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        CommissionPayout.objects.filter(status=PayoutStatus.RELEASED)
        .filter(
            Q(bank_status__in=[B.SENDING, B.UNKNOWN, B.SENT], sent_at__lt=cutoff)
            | Q(bank_status=B.PENDING, released_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
