"""Celery tasks of dealer deposit refunds: thin wrappers that take ids and call the services.

* deposit_refund_send(refund_id)      send a released refund (scheduled on commit of a release)
* deposit_refunds_recover()           periodic: ask the bank by key about released refunds
"""

from __future__ import annotations

from celery import shared_task

from servicing.models.deposits import DepositRefund, DepositRefundStatus
from servicing.services.deposits.refund_bank import deposit_refund_recover
from servicing.services.deposits.refund_bank import deposit_refund_send as refund_send


@shared_task(
    name="servicing.tasks.deposits.deposit_refund_send",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def deposit_refund_send(refund_id: int) -> str:
    return refund_send(refund_id=refund_id)


@shared_task(name="servicing.tasks.deposits.deposit_refunds_recover", time_limit=900)
def deposit_refunds_recover() -> int:
    ids = DepositRefund.objects.filter(status=DepositRefundStatus.RELEASED).values_list(
        "pk", flat=True
    )
    for refund_id in ids:
        deposit_refund_recover(refund_id=refund_id)
    return len(ids)
