"""Celery tasks of dealer commission payouts: thin wrappers that take ids and call the services.

* commission_payout_send(payout_id)   send a released payout (scheduled on commit of a release);
                                      idempotent: a resend uses the same key
* commission_payouts_recover()        periodic: ask the bank by key about payouts whose answer
                                      is overdue (never re-sent blind)
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from servicing.services.commissions.bank import (
    commission_payout_recover,
    commission_payouts_to_recover,
)
from servicing.services.commissions.bank import (
    commission_payout_send as payout_send,
)


@shared_task(
    name="servicing.tasks.commissions.commission_payout_send",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def commission_payout_send(payout_id: int) -> str:
    return payout_send(payout_id=payout_id)


@shared_task(
    name="servicing.tasks.commissions.commission_payouts_recover",
    time_limit=900,
    soft_time_limit=840,
)
def commission_payouts_recover(older_than_seconds: int = 120) -> int:
    ids = commission_payouts_to_recover(older_than=dt.timedelta(seconds=older_than_seconds))
    for payout_id in ids:
        commission_payout_recover(payout_id=payout_id)
    return len(ids)
