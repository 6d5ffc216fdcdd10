"""Celery tasks of the disbursement: thin wrappers that take ids and call the services.

* disbursement_attempts_send(attempt_ids) send a release's attempts, one bank call (scheduled on
                                          commit of a release); idempotent: a resend uses the
                                          same keys
* disbursement_attempt_send(attempt_id)   send one attempt (scheduled on commit of a retry)
* bank_callback_deliver(key)              the sandbox bank delivering its result callback
* bank_callbacks_deliver(keys)            ... and one batch's callback (its results together)
* disbursement_recover()                  periodic: settle attempts whose fate is unknown by
                                          asking the bank by key; fund what is fundable
* disbursement_attempt_recover(attempt_id)
* reconciliation_daily(statement_date=None)
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from autofin.audit import SYSTEM_ACTOR
from autofin.business_date import business_date_current
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.services.disbursement.fund import disbursement_fund, disbursements_fundable
from servicing.services.disbursement.send import (
    attempt_recover,
    attempt_send,
    attempts_send,
    attempts_to_recover,
)
from servicing.services.reconciliation import reconciliation_run

# A release's sends, the bank's callbacks and their rechecks record their outcome in the
# database; nothing reads their return values, so the result backend is not written (a Redis
# write per task: two a release, the funding notification's delivery a third).
RESULT_UNREAD = True


@shared_task(
    name="servicing.tasks.disbursement.disbursement_attempt_send",
    acks_late=True,
    ignore_result=RESULT_UNREAD,
    time_limit=120,
    soft_time_limit=100,
)
def disbursement_attempt_send(attempt_id: int) -> str:
    return attempt_send(attempt_id=attempt_id)


@shared_task(
    name="servicing.tasks.disbursement.disbursement_attempts_send",
    acks_late=True,
    ignore_result=RESULT_UNREAD,
    time_limit=120,
    soft_time_limit=100,
)
def disbursement_attempts_send(attempt_ids: list[int]) -> list[str]:
    statuses = attempts_send(attempt_ids=attempt_ids)
    return [statuses[pk] for pk in attempt_ids if pk in statuses]


@shared_task(
    name="servicing.tasks.disbursement.disbursement_attempt_recover",
    acks_late=True,
    ignore_result=RESULT_UNREAD,
    time_limit=120,
    soft_time_limit=100,
)
def disbursement_attempt_recover(attempt_id: int) -> str:
    return attempt_recover(attempt_id=attempt_id)


@shared_task(
    name="servicing.tasks.disbursement.bank_callback_deliver",
    acks_late=True,
    ignore_result=RESULT_UNREAD,
    time_limit=60,
    soft_time_limit=50,
)
def bank_callback_deliver(idempotency_key: str) -> dict | None:
    return SandboxBank().callback_deliver(idempotency_key)


@shared_task(
    name="servicing.tasks.disbursement.bank_callbacks_deliver",
    acks_late=True,
    ignore_result=RESULT_UNREAD,
    time_limit=60,
    soft_time_limit=50,
)
def bank_callbacks_deliver(idempotency_keys: list[str]) -> dict | None:
    return SandboxBank().callbacks_deliver_batch(idempotency_keys)


@shared_task(
    name="servicing.tasks.disbursement.disbursement_recover", time_limit=900, soft_time_limit=840
)
def disbursement_recover(older_than_seconds: int = 120) -> dict:
    ids = attempts_to_recover(older_than=dt.timedelta(seconds=older_than_seconds))
    for attempt_id in ids:
        attempt_recover(attempt_id=attempt_id)
    funded = disbursements_fundable()
    for disbursement_id in funded:
        disbursement_fund(disbursement_id=disbursement_id)
    return {"attempts": len(ids), "fund": len(funded)}


@shared_task(
    name="servicing.tasks.disbursement.reconciliation_daily", time_limit=900, soft_time_limit=840
)
def reconciliation_daily(statement_date: str | None = None) -> int:
    day = (
        dt.date.fromisoformat(statement_date)
        if statement_date
        else business_date_current() - dt.timedelta(days=1)
    )
    return reconciliation_run(statement_date=day, actor=SYSTEM_ACTOR).pk
