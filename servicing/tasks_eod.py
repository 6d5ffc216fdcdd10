"""Celery tasks of the nightly settlement: thin wrappers over servicing.eod.runner.

* `eod_nightly` (beat, 00:30 Beijing): close every date up to yesterday, one at a time.
* `eod_batch_continue`: plan the next step of a batch and dispatch its chunks as a chord —
  group(eod_chunk_run ...) | eod_step_finish — across the workers; after the last step, close
  the date (advance) and, when catching up, open the next date.
* `eod_watchdog` (beat, every minute): the batch's own re-dispatch of stale chunks (a worker
  died mid-chunk): each is sent again, followed by its step's finish. No reliance on the broker
  redelivering the lost task (if it does, the claim refuses the duplicate).
* `eod_auto_debit_exchange`: send the day's auto-debit file to the bank adapter, apply results.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import chain, chord, group, shared_task
from django.db import transaction

from servicing.eod import runner
from servicing.eod.registry import ACTOR
from servicing.models.eod import BatchRun, RunStatus

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def eod_chunk_run(chunk_id: int) -> str:
    return runner.chunk_execute(chunk_id=chunk_id, owner=f"celery:{runner.worker_name()}")


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def eod_step_finish(_results, step_run_id: int) -> str:
    from servicing.models.eod import StepRun

    status = runner.step_finish(step_run_id=step_run_id)
    if status == RunStatus.SUCCEEDED:
        batch_id = StepRun.objects.only("batch_id").get(pk=step_run_id).batch_id
        eod_batch_continue.delay(batch_id)
    return status


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def eod_batch_continue(batch_id: int) -> str:
    batch = BatchRun.objects.get(pk=batch_id)
    if batch.status != RunStatus.RUNNING:
        return batch.status
    step = runner.next_step(batch)
    if step is None:
        batch = runner.batch_close(batch_id=batch_id)
        target = batch.catch_up_to
        if target and batch.advanced_to and batch.advanced_to <= target:
            eod_batch_start.delay(batch.advanced_to.isoformat(), target.isoformat())
        return "closed"
    run = runner.step_plan(batch=batch, step=step)
    ids = list(
        run.chunks.filter(status=RunStatus.PENDING)
        .order_by("chunk_no")
        .values_list("id", flat=True)
    )
    if not ids:
        # nothing pending: running chunks finish (or the watchdog re-dispatches them)
        eod_step_finish.delay(None, run.pk)
        return "finishing"
    chord(group(eod_chunk_run.si(i) for i in ids))(eod_step_finish.s(run.pk))
    return f"dispatched {step.code}: {len(ids)} chunks"


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def eod_batch_start(date_iso: str | None = None, target_iso: str | None = None) -> str:
    """Open a date's batch (default: the current business date) and start its first step."""
    from autofin.business_date import business_date_current

    date = dt.date.fromisoformat(date_iso) if date_iso else business_date_current()
    target = dt.date.fromisoformat(target_iso) if target_iso else None
    batch = runner.batch_open(business_date=date, actor=ACTOR, catch_up_to=target)
    eod_batch_continue.delay(batch.pk)
    return f"started {date}"


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def eod_nightly(target_iso: str | None = None) -> str:
    """The beat's entry point: catch up from the current business date to yesterday."""
    from autofin.business_date import business_date_current

    target = dt.date.fromisoformat(target_iso) if target_iso else runner.beijing_yesterday()
    current = business_date_current()
    if current > target:
        return "up to date"
    running = BatchRun.objects.filter(business_date=current, status=RunStatus.RUNNING).first()
    if running is not None:
        eod_batch_continue.delay(running.pk)
        return f"resumed {current}"
    eod_batch_start.delay(current.isoformat(), target.isoformat())
    return f"catching up {current}..{target}"


@shared_task(time_limit=120, soft_time_limit=110)
def eod_watchdog() -> int:
    """Re-dispatch the batch's stale chunks (lease expired: the worker died or hangs)."""
    stale = runner.chunks_stale()
    for chunk in stale:
        log.warning("eod: chunk %s of step %s is stale; re-dispatching", chunk.pk, chunk.step_id)
        chain(eod_chunk_run.si(chunk.pk), eod_step_finish.s(chunk.step_id)).delay()
    return len(stale)


def batch_retry_dispatch(*, batch_id: int, actor) -> None:
    """The dashboard's retry: failed chunks back to pending, the batch goes on (after commit)."""
    runner.batch_retry(batch_id=batch_id, actor=actor)
    transaction.on_commit(lambda: eod_batch_continue.delay(batch_id))


@shared_task(
    name="servicing.eod_auto_debit_exchange",  # scheduled by name (servicing.eod.steps.auto_debit)
    bind=True,
    acks_late=True,
    time_limit=3600,
    soft_time_limit=3500,
    max_retries=1440,
)
def eod_auto_debit_exchange(self, batch_id: int) -> dict:
    """Send the auto-debit file to the bank adapter and apply the results it returns, once the
    night's batch has closed (until then, ask again in a minute)."""
    from servicing.eod.steps.auto_debit import auto_debit_exchange

    result = auto_debit_exchange(batch_id=batch_id)
    if result.get("waiting"):
        raise self.retry(countdown=60)
    return result
