"""Deposit going back to the dealer, maker-checked as a commission payout: the maker prepares a
refund of what is held beyond what the dealer's grade requires (all of it once no agreement is
in force), to the dealer's verified settlement account only; a checker who is not the maker
releases it to the bank. Every refusal raises `DepositError` with nothing written."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import encrypt
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from dealers.selectors import dealer_settlement_account, dealer_summary
from servicing.models.deposits import DepositRefund, DepositRefundStatus
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_held,
    deposit_required_now,
)
from servicing.services.deposits.receipts import DepositError
from servicing.services.disbursement.approve import dispatch_after_commit
from servicing.services.outgoing import outgoing_release

SEND_TASK = "servicing.tasks.deposits.deposit_refund_send"
PENDING = (DepositRefundStatus.PREPARED, DepositRefundStatus.RELEASED)


def _require(actor: Any, action: MoneyAction) -> None:
    if not can_move_money(actor, action):
        raise DepositError(_("您没有保证金退还的操作权限。"), code="forbidden")


def _verified_account(dealer_id: int) -> dict:
    account = dealer_settlement_account(dealer_id=dealer_id)
    if account is None:
        raise DepositError(_("经销商没有已核验的结算账户，不能退还保证金。"), code="no_account")
    return account


def deposit_refundable(*, dealer_id: int) -> Decimal:
    """Held, less what the grade requires, less refunds on their way."""
    on = business_date_for_posting()
    pending = DepositRefund.objects.filter(dealer_id=dealer_id, status__in=PENDING).aggregate(
        s=Sum("amount")
    )["s"]
    free = deposit_held(dealer_id=dealer_id) - deposit_required_now(dealer_id=dealer_id, on=on)
    return max(free - (pending or ZERO), ZERO)


def deposit_refund_prepare(
    *, dealer_id: int, amount: Decimal | str, reason: str, actor: Any
) -> DepositRefund:
    _require(actor, MoneyAction.DEPOSIT_REFUND_PREPARE)
    try:
        amount = quantize_fen(to_decimal(amount))
    except (TypeError, ValueError) as exc:
        raise DepositError(_("请输入有效金额。"), field="amount") from exc
    reason = (reason or "").strip()[:200]
    if amount <= 0:
        raise DepositError(_("退还金额应大于零。"), field="amount")
    if not reason:
        raise DepositError(_("请填写退还原因。"), field="reason")
    with transaction.atomic():
        dealer_deposit_lock(dealer_id)
        account = _verified_account(dealer_id)
        refundable = deposit_refundable(dealer_id=dealer_id)
        if amount > refundable:
            raise DepositError(
                _("可退还保证金为 %(free)s，不能退还 %(amount)s。")
                % {"free": refundable, "amount": amount},
                field="amount",
            )
        refund = DepositRefund.objects.create(
            dealer_id=dealer_id,
            dealer_name=dealer_summary(dealer_id=dealer_id)["legal_name"],
            amount=amount,
            reason=reason,
            status=DepositRefundStatus.PREPARED,
            account_id=account["account_id"],
            account_name=account["account_name"],
            bank_name=account["bank_name"],
            account_number_enc=encrypt(account["account_number"]),
            account_number_masked=account["account_number_masked"],
            prepared_by=actor,
        )
        audit_record(
            actor=actor,
            obj=refund,
            action="deposit_refund_prepare",
            to_state=refund.status,
            data={"amount": str(amount), "account": refund.account_number_masked},
        )
    return refund


def deposit_refund_approve(*, refund_id: int, actor: Any) -> DepositRefund:
    """The checker releases the refund to the bank (sent after commit under a new key)."""
    _require(actor, MoneyAction.DEPOSIT_REFUND_APPROVE)
    with transaction.atomic():
        refund = DepositRefund.objects.select_for_update().get(pk=refund_id)
        if refund.status != DepositRefundStatus.PREPARED:
            raise DepositError(_("该退还不在待复核状态，不能放行。"), code="not_prepared")
        if refund.prepared_by_id == actor.pk:
            raise DepositError(
                _("复核人不能是经办人本人：退还需由另一位同事复核。"), code="same_user"
            )
        # The account the checker saw must still be the dealer's verified one.
        if _verified_account(refund.dealer_id)["account_id"] != refund.account_id:
            raise DepositError(_("经销商结算账户已变更，请重新经办。"), code="account_changed")
        outgoing_release(refund, key=f"DR{refund.pk}-{uuid.uuid4().hex[:12]}")
        refund.approved_by = actor
        refund.status = DepositRefundStatus.RELEASED
        refund.save()
        audit_record(
            actor=actor,
            obj=refund,
            action="deposit_refund_release",
            from_state=DepositRefundStatus.PREPARED,
            to_state=refund.status,
            data={"key": refund.idempotency_key, "amount": str(refund.amount)},
        )
        dispatch_after_commit(SEND_TASK, [refund.pk])
    return refund
