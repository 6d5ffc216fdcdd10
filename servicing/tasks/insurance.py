"""Celery tasks of insurer remittances (a renewal premium paid on to its insurer): thin wrappers.

* insurer_remittance_send(remittance_id)   send a released remittance (scheduled on commit)
* insurer_remittances_recover()            periodic: ask the bank by key about released ones
"""

from __future__ import annotations

from celery import shared_task

from servicing.models.insurance import InsurerRemittance, RemittanceStatus
from servicing.services.insurance.remittance import insurer_remittance_recover
from servicing.services.insurance.remittance import insurer_remittance_send as remittance_send


@shared_task(
    name="servicing.tasks.insurance.insurer_remittance_send",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def insurer_remittance_send(remittance_id: int) -> str:
    return remittance_send(remittance_id=remittance_id)


@shared_task(name="servicing.tasks.insurance.insurer_remittances_recover", time_limit=900)
def insurer_remittances_recover() -> int:
    ids = InsurerRemittance.objects.filter(status=RemittanceStatus.RELEASED).values_list(
        "pk", flat=True
    )
    for remittance_id in ids:
        insurer_remittance_recover(remittance_id=remittance_id)
    return len(ids)
