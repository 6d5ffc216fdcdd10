"""A statement's payout made ready to release: created by the month-end batch for a statement
with something to pay, the dealer's VAT invoice recorded on it, then prepared by a finance
maker against the dealer's verified settlement account; and a failed payout sent back to the
maker. Every refusal raises `PayoutError` with nothing written."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.crypto import encrypt
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.policy import policy_value
from autofin.roles import MoneyAction, can_move_money
from dealers.models.commissions import CommissionStatement
from dealers.selectors import dealer_settlement_account, dealer_summary
from servicing.models import AccountCode as A
from servicing.models.commission_payouts import BankStatus, CommissionPayout, PayoutStatus
from servicing.models.deposits import DepositCall, DepositCallStatus, DepositMovementKind
from servicing.models.repurchases import Repurchase, RepurchaseCollectionKind, RepurchaseStatus
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_figures_push,
    open_calls_settle,
)
from servicing.services.deposits.receipts import deposit_post_in
from servicing.services.disbursement.states import DisbursementError
from servicing.services.repurchases.collections import repurchase_collect

INVOICE_POLICY = "servicing.commission_payout_requires_invoice"
# 全电发票 numbers have 20 digits, paper VAT invoices 8 (with a 10- or 12-digit code beside).
INVOICE_NUMBER = re.compile(r"^(\d{8}|\d{20})$")


class PayoutError(DisbursementError):
    """A payout action refused (nothing written); `field` names a form field. A kind of
    DisbursementError: the bank's callback endpoint answers both the same way."""


def payout_lock(payout_id: int) -> CommissionPayout:
    return CommissionPayout.objects.select_for_update().get(pk=payout_id)


def invoice_required() -> bool:
    return bool(policy_value(INVOICE_POLICY))


def payout_permission_require(actor: Any, action: MoneyAction) -> None:
    if not can_move_money(actor, action):
        raise PayoutError(_("您没有返佣付款的操作权限。"), code="forbidden")


def commission_payout_create(*, statement: CommissionStatement) -> CommissionPayout | None:
    """The month-end batch: a statement with a positive net (待付) gets its payout, held for
    the dealer's invoice while policy wants one. Idempotent per statement; None when the
    statement has nothing to pay (carried forward or nil)."""
    if statement.pay_status != CommissionStatement.PayStatus.PENDING:
        return None
    with transaction.atomic():
        payout, created = CommissionPayout.objects.get_or_create(
            statement_id=statement.pk,
            defaults={
                "statement_number": statement.number,
                "dealer_id": statement.dealer_id,
                "dealer_name": dealer_summary(dealer_id=statement.dealer_id)["legal_name"],
                "month": statement.month,
                "accrued_total": statement.accrued_total,
                "set_off": statement.clawback_total + statement.brought_forward,
                "amount": statement.net_amount,
                "status": PayoutStatus.HELD if invoice_required() else PayoutStatus.DRAFT,
            },
        )
        if created:
            audit_record(
                actor=SYSTEM_ACTOR,
                obj=payout,
                action="commission_payout_create",
                to_state=payout.status,
                data={"statement": statement.number, "amount": str(payout.amount)},
            )
    return payout


def commission_payout_invoice_record(
    *,
    payout_id: int,
    actor: Any,
    invoice_number: str,
    invoice_amount: Decimal | str,
    invoice_tax: Decimal | str,
) -> CommissionPayout:
    """Record the dealer's VAT invoice for the commission; a held payout is then ready to
    prepare. The invoice is for exactly the net paid (价税合计 = 应付净额)."""
    payout_permission_require(actor, MoneyAction.COMMISSION_PAYOUT_PREPARE)
    number = (invoice_number or "").strip()
    if not INVOICE_NUMBER.match(number):
        raise PayoutError(
            _("发票号码应为 8 位或 20 位数字。"), code="invoice_number", field="invoice_number"
        )
    try:
        amount = quantize_fen(to_decimal(invoice_amount))
        tax = quantize_fen(to_decimal(invoice_tax))
    except (TypeError, ValueError) as exc:
        raise PayoutError(_("请输入有效金额。"), code="invoice_amount") from exc
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status not in (PayoutStatus.HELD, PayoutStatus.DRAFT):
            raise PayoutError(_("该付款已经办，不能再修改发票。"), code="not_open")
        # the invoice is for the commission, before any repurchase debt is set against it
        net = payout.amount + payout.debt_set_off
        if amount != net:
            raise PayoutError(
                _("发票金额 %(invoice)s 与应付净额 %(net)s 不符。")
                % {"invoice": amount, "net": net},
                code="invoice_amount",
                field="invoice_amount",
            )
        if tax < 0 or tax >= amount:
            raise PayoutError(_("税额应不小于零且小于发票金额。"), field="invoice_tax")
        old = payout.status
        payout.invoice_number, payout.invoice_amount, payout.invoice_tax = number, amount, tax
        payout.invoice_recorded_by = actor
        payout.status = PayoutStatus.DRAFT
        payout.save()
        audit_record(
            actor=actor,
            obj=payout,
            action="commission_payout_invoice",
            from_state=old,
            to_state=payout.status,
            data={"invoice_number": number, "amount": str(amount), "tax": str(tax)},
        )
    return payout


def payout_account(payout: CommissionPayout) -> dict:
    """The dealer's verified, active settlement account, or PayoutError. Commission already
    earned is paid to a suspended or departing dealer too: only the account is checked."""
    account = dealer_settlement_account(dealer_id=payout.dealer_id)
    if account is None:
        raise PayoutError(_("经销商没有已核验的结算账户，不能付款。"), code="no_account")
    return account


def commission_payout_prepare(*, payout_id: int, actor: Any) -> CommissionPayout:
    """The maker: the payout is checked (invoice when policy wants one, the dealer's verified
    account) and put before a checker with the account it will be paid to."""
    payout_permission_require(actor, MoneyAction.COMMISSION_PAYOUT_PREPARE)
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status == PayoutStatus.HELD or (
            payout.status == PayoutStatus.DRAFT and not payout.invoice_number and invoice_required()
        ):
            raise PayoutError(_("尚未登记经销商发票，付款暂缓。"), code="held")
        if payout.status != PayoutStatus.DRAFT:
            raise PayoutError(_("该付款不在待经办状态。"), code="not_draft")
        account = payout_account(payout)
        payout_debt_plan(payout)
        payout.account_id = account["account_id"]
        payout.account_name = account["account_name"]
        payout.bank_name = account["bank_name"]
        payout.account_number_enc = encrypt(account["account_number"])
        payout.account_number_masked = account["account_number_masked"]
        payout.prepared_by = actor
        payout.prepared_at = timezone.now()
        payout.status = PayoutStatus.PREPARED
        payout.save()
        audit_record(
            actor=actor,
            obj=payout,
            action="commission_payout_prepare",
            from_state=PayoutStatus.DRAFT,
            to_state=PayoutStatus.PREPARED,
            data={
                "account": payout.account_number_masked,
                "amount": str(payout.amount),
                "debt_set_off": str(payout.debt_set_off),
            },
        )
    return payout


def commission_payout_retry(*, payout_id: int, actor: Any) -> CommissionPayout:
    """A payout the bank confirmed failed goes back to the maker: prepared and approved again
    (to the dealer's then-current verified account), it is sent under a NEW key."""
    payout_permission_require(actor, MoneyAction.COMMISSION_PAYOUT_PREPARE)
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status != PayoutStatus.FAILED or payout.bank_status != BankStatus.FAILED:
            raise PayoutError(_("只有付款失败的返佣可以重新付款。"), code="not_failed")
        payout.status = PayoutStatus.DRAFT
        payout.approved_by = None
        payout.save()
        audit_record(
            actor=actor,
            obj=payout,
            action="commission_payout_retry",
            from_state=PayoutStatus.FAILED,
            to_state=PayoutStatus.DRAFT,
            data={"failed_key": payout.idempotency_key},
        )
    return payout


# --- netting: what the dealer owes (回购, 保证金补缴) -----------------------------------------
# The maker's prepare works out the set-off (the dealer's due repurchases, then its open deposit
# calls, up to the payout) and the payout shows it; the checker's release posts it on the
# dealer's sub-ledger and the bank pays the rest. A set-off once posted stays posted: a payout
# the bank then refuses is retried for the rest only.


def _due(dealer_id: int, *, lock: bool) -> tuple[list[Repurchase], Decimal]:
    """The dealer's due repurchases (oldest first) and the deposit its open calls still want."""
    qs = Repurchase.objects.filter(dealer_id=dealer_id, status=RepurchaseStatus.DUE).order_by(
        "closed_on", "pk"
    )
    calls = DepositCall.objects.filter(dealer_id=dealer_id, status=DepositCallStatus.OPEN)
    top_up = calls.aggregate(s=Sum(F("amount") - F("received")))["s"] or ZERO
    return list(qs.select_for_update() if lock else qs), top_up


def payout_debt_plan(payout: CommissionPayout) -> None:
    """The maker's figures: what the dealer owes — its repurchases, then the deposit top-ups it
    was called for — up to what the payout pays, moved from `amount` to `debt_set_off`.
    Nothing changes once the set-off is posted."""
    if payout.debt_set_off_on is not None:
        return
    net = payout.amount + payout.debt_set_off
    repurchases, top_up = _due(payout.dealer_id, lock=False)
    owed = sum((r.outstanding for r in repurchases), ZERO) + top_up
    payout.debt_set_off = min(owed, net)
    payout.amount = net - payout.debt_set_off


def payout_debt_post(payout: CommissionPayout, *, on: dt.date, actor: Any) -> None:
    """The checker's release: post the set-off the maker showed, in the release's transaction
    (repurchases: 借 commission payable / 贷 recourse receivable; top-ups: 借 commission payable
    / 贷 dealer deposit, paying the open calls); refused when the debts moved since (the maker
    prepares again)."""
    if payout.debt_set_off_on is not None or payout.debt_set_off == ZERO:
        return
    dealer_deposit_lock(payout.dealer_id)
    due, top_up = _due(payout.dealer_id, lock=True)
    if sum((r.outstanding for r in due), ZERO) + top_up < payout.debt_set_off:
        raise PayoutError(_("经销商欠款已变化，请经办人重新经办。"), code="debts_changed")
    left: Decimal = payout.debt_set_off
    for repurchase in due:
        part = min(left, repurchase.outstanding)
        if part <= 0:
            break
        repurchase_collect(
            repurchase=repurchase,
            kind=RepurchaseCollectionKind.COMMISSION,
            reference=f"payout-{payout.pk}-{repurchase.pk}",
            amount=part,
            on=on,
            debit=(A.COMMISSION_PAYABLE, payout.dealer_id),
            actor=actor,
        )
        left -= part
    if left > 0:
        deposit_post_in(
            dealer_id=payout.dealer_id,
            kind=DepositMovementKind.COMMISSION,
            reference=f"payout-{payout.pk}",
            amount=left,
            on=on,
            description=_("返佣抵缴保证金 %(number)s") % {"number": payout.statement_number},
            debit=(A.COMMISSION_PAYABLE, payout.dealer_id),
        )
        open_calls_settle(dealer_id=payout.dealer_id, amount=left)
        deposit_figures_push(dealer_id=payout.dealer_id, on=on)
    payout.debt_set_off_on = on
