"""A renewal premium the customer paid us online is the insurer's money (held in
insurer_payable by `renewal_premium_received`); it is paid on to the insurer payee of the
register the policy names, maker-checked like every payment to a payee: a finance maker
prepares it, a checker who is not the maker releases it to the bank, and the outgoing-payment
engine sends it under its key. On the bank's success: 借 insurer_payable / 贷 bank_clearing,
so the payable clears to the fen. One live remittance per premium (a database constraint):
never paid twice. Every refusal raises LoanError with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.roles import MoneyAction, can_move_money
from origination.models.payees import Payee
from servicing.gateway.interface import PaymentGateway
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.insurance import (
    InsurerRemittance,
    QuoteStatus,
    RemittanceStatus,
    RenewalQuote,
)
from servicing.models.repayments import PaymentOrderStatus
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError
from servicing.services.outgoing import (
    OutgoingKind,
    dispatch_after_commit,
    outgoing_recover,
    outgoing_release,
    outgoing_send,
)

SEND_TASK = "servicing.tasks.insurance.insurer_remittance_send"
R = RemittanceStatus


def _require(actor: Any, action: MoneyAction) -> None:
    if not can_move_money(actor, action):
        raise LoanError(_("您没有保费转付的操作权限。"), code="forbidden")


def remittance_awaiting():
    """Premiums paid online for bound quotes with no live remittance: still the insurer's money
    in insurer_payable."""
    return (
        RenewalQuote.objects.filter(
            status=QuoteStatus.BOUND, payment_order__status=PaymentOrderStatus.PAID
        )
        .exclude(remittances__status__in=[R.PREPARED, R.RELEASED, R.PAID])
        .select_related("payment_order", "new_policy")
        .order_by("id")
    )


def insurer_remittance_prepare(*, quote_id: int, actor: Any) -> InsurerRemittance:
    """The maker's remittance of a premium paid online for a bound quote, to the insurer payee
    (verified, active) its policy names; the amount is what the customer paid."""
    _require(actor, MoneyAction.INSURER_REMITTANCE_PREPARE)
    with transaction.atomic():
        quote = (
            RenewalQuote.objects.select_for_update(of=("self",))
            .select_related("payment_order", "new_policy")
            .filter(pk=quote_id)
            .first()
        )
        order = quote.payment_order if quote else None
        if quote is None or quote.status != QuoteStatus.BOUND or order is None:
            raise LoanError(_("只有客户已在线支付且已出单的续保保费可以转付。"), code="not_paid")
        if order.status != PaymentOrderStatus.PAID:
            raise LoanError(_("保费尚未到账，不能转付。"), code="not_paid")
        if quote.remittances.exclude(status__in=[R.FAILED, R.REJECTED]).exists():
            raise LoanError(_("该笔保费已在转付中或已付给保险公司。"), code="duplicate")
        payee = Payee.objects.filter(
            pk=quote.new_policy.insurer_payee_id, payee_type="insurer", active=True, verified=True
        ).first()
        if payee is None:
            raise LoanError(_("保险公司不是已核验的收款方，不能转付。"), code="no_payee")
        try:
            with transaction.atomic():
                remittance = InsurerRemittance.objects.create(
                    quote=quote, loan_id=order.loan_id, payee_id=payee.pk, payee_name=payee.name,
                    amount=order.amount, account_name=payee.account_name,
                    bank_name=payee.bank_name, account_number_enc=payee.account_number_enc,
                    account_number_masked=payee.account_number_masked, prepared_by=actor,
                )  # fmt: skip
        except IntegrityError:
            raise LoanError(_("该笔保费已在转付中或已付给保险公司。"), code="duplicate") from None
        audit_record(actor=actor, obj=remittance, action="insurer_remittance_prepare",
                     to_state=R.PREPARED,
                     data={"quote": quote.pk, "amount": str(remittance.amount)})  # fmt: skip
    return remittance


def _checker_lock(remittance_id: int, actor: Any) -> InsurerRemittance:
    _require(actor, MoneyAction.INSURER_REMITTANCE_RELEASE)
    remittance = InsurerRemittance.objects.select_for_update().filter(pk=remittance_id).first()
    if remittance is None:
        raise LoanError(_("付款单不存在。"), code="missing")
    if remittance.status != R.PREPARED:
        raise LoanError(_("该付款单已处理。"), code="done")
    if remittance.prepared_by_id == getattr(actor, "pk", None):
        raise LoanError(_("复核人不能是经办人本人：付款须由另一位同事复核。"), code="same_user")
    return remittance


def insurer_remittance_release(*, remittance_id: int, actor: Any) -> InsurerRemittance:
    """The checker's release: the bank pays it under its key (sent after commit)."""
    with transaction.atomic():
        remittance = _checker_lock(remittance_id, actor)
        outgoing_release(remittance, key=f"insurer-remittance-{remittance.pk}")
        remittance.status = R.RELEASED
        remittance.approved_by = actor
        remittance.save()
        audit_record(actor=actor, obj=remittance, action="insurer_remittance_release",
                     from_state=R.PREPARED, to_state=R.RELEASED,
                     data={"amount": str(remittance.amount)})  # fmt: skip
    dispatch_after_commit(SEND_TASK, [remittance.pk])
    return remittance


def insurer_remittance_reject(*, remittance_id: int, actor: Any, reason: str) -> InsurerRemittance:
    """The checker sends it back (a wrong payee): the premium stays payable, to prepare again."""
    if not (reason or "").strip():
        raise LoanError(_("请填写驳回原因。"), code="reason")
    with transaction.atomic():
        remittance = _checker_lock(remittance_id, actor)
        remittance.status = R.REJECTED
        remittance.approved_by = actor
        remittance.save(update_fields=["status", "approved_by", "updated_at"])
        audit_record(actor=actor, obj=remittance, action="insurer_remittance_reject",
                     from_state=R.PREPARED, to_state=R.REJECTED, reason=reason)  # fmt: skip
    return remittance


def _paid(remittance: InsurerRemittance, paid_on: dt.date) -> None:
    entry = journal_post(
        business_date=paid_on, source_type="insurance_premium",
        source_id=f"remittance-{remittance.pk}",
        lines=[(A.INSURER_PAYABLE, "D", remittance.amount, None),
               (A.BANK_CLEARING, "C", remittance.amount, None)],
        idempotency_key=f"insurer-remittance:{remittance.idempotency_key}",
        description=memo("insurance_premium_remitted", insurer=remittance.payee_name,
                         ref=remittance.bank_ref),
        actor=SYSTEM_ACTOR, loan_id=remittance.loan_id,
    )  # fmt: skip
    remittance.status = R.PAID
    remittance.paid_on = paid_on
    remittance.journal_entry_id = entry.pk
    remittance.save()


REMITTANCES = OutgoingKind(
    name="insurer_remittance",
    model=InsurerRemittance,
    released=R.RELEASED,
    failed=R.FAILED,
    reference=lambda r: _("续保保费转付 %(id)s") % {"id": r.pk},
    paid=_paid,
    error=LoanError,
)


def insurer_remittance_send(*, remittance_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send (or send again under the SAME key) a released remittance. Returns its status."""
    return outgoing_send(REMITTANCES, remittance_id, gateway=gateway).status


def insurer_remittance_recover(*, remittance_id: int, gateway: PaymentGateway | None = None) -> str:
    """A released remittance whose answer is overdue: ask the bank by key, send again if
    unseen."""
    return outgoing_recover(REMITTANCES, remittance_id, gateway=gateway).status
