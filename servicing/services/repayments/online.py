"""Online payments: an order with the payment provider (capped by what is still owed; a payoff's
or prepayment's amount from settlement), and the provider's verified callback, checked against
the order before the ORDER's amount is posted once; anything it will not act on alone opens a
`PaymentAlert`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, format_cny
from servicing.adapters import payment_provider
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow
from servicing.models.repayments import (
    PaymentAlert,
    PaymentAlertKind,
    PaymentOrder,
    PaymentOrderStatus,
    RepaymentPurpose,
    RepaymentSource,
)
from servicing.services.insurance.renewals import renewal_premium_received
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import loan_lock, posting_date
from servicing.services.repayments.guards import RepaymentError, amount_checked
from servicing.services.repayments.posting import repayment_post_locked
from servicing.services.settlement.early import payoff_quote_usable
from servicing.services.settlement.prepayment import prepayment_terms

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
            same = (amount_checked(value) if field.endswith("amount") else value) == current
    if not same:
        raise RepaymentError(
            _("该幂等键已用于另一笔支付订单，请刷新页面后重试。"), code="idempotency_conflict"
        )


def _order_at_provider(order: PaymentOrder, *, return_url: str) -> tuple[PaymentOrder, str]:
    """Ask the provider for the order's payment once: under the order row's lock, so a
    concurrent duplicate waits here and finds the reference instead of creating a second one."""
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
        quote = payoff_quote_usable(loan=loan, quote_id=payoff_quote_id)
        amount = quote.total
    elif purpose == RepaymentPurpose.PREPAYMENT:
        terms = prepayment_terms(loan=loan, prepay_amount=prepay_amount, option=prepayment_option)
        amount = terms.total
        prepay_amount = terms.prepay
    amount = amount_checked(amount)
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
        return amount_checked(value)
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
            description=memo("payment_parked"),
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


def _order_of_callback(ref: str) -> PaymentOrder:
    order = PaymentOrder.objects.filter(provider_ref=ref).first() if ref else None
    if order is None:
        raise RepaymentError(_("未知的支付订单：%(ref)s") % {"ref": ref}, code="unknown_order")
    return order


def _callback_after_decision(order: PaymentOrder, *, success: bool, alert: dict) -> None:
    """A callback for an order already decided: a repeat of the decision changes nothing; a
    contradiction (or a callback on a held order) opens an alert, parking any money claimed."""
    before, claimed = order.status, alert["claimed"]
    repeated = (before == PaymentOrderStatus.PAID and success and claimed == order.amount) or (
        before == PaymentOrderStatus.FAILED and not success
    )
    if not repeated:
        kind = (
            PaymentAlertKind.AMOUNT_MISMATCH
            if before == PaymentOrderStatus.HELD
            else PaymentAlertKind.AFTER_FINAL_STATE
        )
        _payment_alert(kind=kind, park=success, **alert)
    order.save(update_fields=["callback_count"])


def payment_callback_handle(*, payload: dict) -> PaymentOrder:
    """The provider's callback, already verified (servicing.adapters.payment_callback_verify
    checked its signature with the provider's secret): check it against the order, then post the ORDER's amount
    once. Idempotent by the provider's reference: the same callback again changes nothing.

    What the handler will not act on alone opens a `PaymentAlert` and is never dropped: a success
    whose amount differs from the order (the order is held and the claimed money parked in
    unidentified receipts, never posted to the loan), and any callback contradicting a final
    state (a success after a failure is parked the same way)."""
    provider = payment_provider()
    if not isinstance(payload, dict):
        raise RepaymentError(_("支付回调内容格式无效。"), code="bad_payload")
    ref = str(payload.get("provider_ref") or "")
    order = _order_of_callback(ref)
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
            _callback_after_decision(order, success=success, alert=alert)
            return order
        if success and claimed != order.amount:
            _payment_alert(kind=PaymentAlertKind.AMOUNT_MISMATCH, park=True, **alert)
            order.status = PaymentOrderStatus.HELD
        elif success and order.purpose == RepaymentPurpose.INSURANCE_PREMIUM:
            # a renewal premium is the insurer's money, never the loan's (docs/insurance.md)
            renewal_premium_received(order=order, ref=ref, business_date=date, actor=actor)
            order.status = PaymentOrderStatus.PAID
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
