"""Celery tasks of repossession payments (a vendor's cost, a customer's surplus): thin wrappers.

* repossession_payment_send(payment_id)   send a released payment (scheduled on commit)
* repossession_payments_recover()         periodic: ask the bank by key about released payments
"""

from __future__ import annotations

from celery import shared_task

from servicing.models.repossession import RepossessionPayment, RepossessionPaymentStatus
from servicing.services.repossession.bank import repossession_payment_recover
from servicing.services.repossession.bank import repossession_payment_send as payment_send


@shared_task(
    name="servicing.tasks.repossession.repossession_payment_send",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def repossession_payment_send(payment_id: int) -> str:
    return payment_send(payment_id=payment_id)


@shared_task(name="servicing.tasks.repossession.repossession_payments_recover", time_limit=900)
def repossession_payments_recover() -> int:
    ids = RepossessionPayment.objects.filter(status=RepossessionPaymentStatus.RELEASED).values_list(
        "pk", flat=True
    )
    for payment_id in ids:
        repossession_payment_recover(payment_id=payment_id)
    return len(ids)
