"""The checker releases a prepared payout: a finance approver who is not the maker, after
seeing the account and the amount; the payout gets its idempotency key and is sent after
commit. Concurrent releases serialise on the payout's row lock: one sends, the others are
refused, so a statement is paid once."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.roles import MoneyAction
from servicing.models.commission_payouts import CommissionPayout, PayoutStatus
from servicing.services.commissions.bank import commission_payout_paid
from servicing.services.commissions.payouts import (
    PayoutError,
    invoice_required,
    payout_account,
    payout_debt_post,
    payout_lock,
    payout_permission_require,
)
from servicing.services.outgoing import dispatch_after_commit, outgoing_release

SEND_TASK = "servicing.tasks.commissions.commission_payout_send"


def commission_payout_approve(*, payout_id: int, actor: Any) -> CommissionPayout:
    payout_permission_require(actor, MoneyAction.COMMISSION_PAYOUT_APPROVE)
    with transaction.atomic():
        payout = payout_lock(payout_id)
        if payout.status != PayoutStatus.PREPARED:
            raise PayoutError(_("该付款不在待复核状态，不能放行。"), code="not_prepared")
        if payout.prepared_by_id == actor.pk:
            raise PayoutError(
                _("复核人不能是经办人本人：付款需由另一位同事复核。"), code="same_user"
            )
        if not payout.invoice_number and invoice_required():
            raise PayoutError(_("尚未登记经销商发票，付款暂缓。"), code="held")
        # The account the checker saw must still be the dealer's verified one.
        if payout_account(payout)["account_id"] != payout.account_id:
            raise PayoutError(_("经销商结算账户已变更，请经办人重新经办。"), code="account_changed")
        n = payout.attempt_no + 1
        payout.attempt_no = n
        payout_debt_post(payout, on=business_date_for_posting(), actor=actor)
        outgoing_release(payout, key=f"CP{payout.pk}-A{n}-{uuid.uuid4().hex[:10]}")
        payout.approved_by = actor
        payout.status = PayoutStatus.RELEASED
        payout.save()
        if payout.amount == 0:
            # the dealer's debts took the whole payout: nothing goes to the bank
            commission_payout_paid(payout, payout.business_date)
        audit_record(
            actor=actor,
            obj=payout,
            action="commission_payout_release",
            from_state=PayoutStatus.PREPARED,
            to_state=PayoutStatus.RELEASED,
            data={
                "key": payout.idempotency_key,
                "account": payout.account_number_masked,
                "amount": str(payout.amount),
            },
        )
        if payout.amount:
            dispatch_after_commit(SEND_TASK, [payout.pk])
    return payout
