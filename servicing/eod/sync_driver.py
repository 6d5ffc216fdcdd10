"""The synchronous driver of the nightly batch: everything in this process (tests,
`manage.py run_eod`, small books), over the same functions the Celery driver (the eod tasks)
uses - open the date, plan each step, execute its chunks, finish it, close the date; and the
catch-up of missed dates (`eod_run_until`)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from autofin.business_date import business_date_current
from servicing.eod.registry import ACTOR
from servicing.eod.runner import (
    batch_close,
    batch_open,
    beijing_yesterday,
    chunk_execute,
    lease_seconds,
    next_step,
    step_counts,
    step_finish,
    step_plan,
    worker_name,
)
from servicing.models.eod import BatchRun, RunStatus, StepRun

Progress = Callable[[dict], None]


def batch_run_sync(
    *,
    business_date: dt.date | None = None,
    actor: Any = ACTOR,
    only_step: str | None = None,
    owner: str | None = None,
    progress: Progress | None = None,
    advance: bool = True,
) -> BatchRun:
    """Close one business date in this process. `only_step` runs that step alone (no advance).
    Resumable: steps already succeeded are skipped, chunks already succeeded are not re-run,
    stale chunks of a dead owner are taken over."""
    date = business_date or business_date_current()
    batch = batch_open(business_date=date, actor=actor)
    if batch.status == RunStatus.SUCCEEDED:
        return batch
    owner = owner or worker_name()
    while True:
        step = next_step(batch, only_step)
        if step is None:
            break
        run = step_plan(batch=batch, step=step)
        status = _run_step_chunks(run, owner=owner, progress=progress)
        if status != RunStatus.SUCCEEDED:
            batch.refresh_from_db()
            return batch
        if only_step:
            break
    if advance and not only_step:
        batch = batch_close(batch_id=batch.pk, actor=actor)
    batch.refresh_from_db()
    return batch


def _run_step_chunks(run: StepRun, *, owner: str, progress: Progress | None) -> str:
    while True:
        ids = list(
            run.chunks.filter(
                Q(status=RunStatus.PENDING)
                | Q(
                    status=RunStatus.RUNNING,
                    heartbeat_at__lt=timezone.now() - dt.timedelta(seconds=lease_seconds()),
                )
            )
            .order_by("chunk_no")
            .values_list("id", flat=True)
        )
        for chunk_id in ids:
            chunk_execute(chunk_id=chunk_id, owner=owner)
            if progress:
                progress({"step": run.code, **step_counts(run)})
        status = step_finish(step_run_id=run.pk)
        if status != RunStatus.RUNNING:
            if progress:
                progress({"step": run.code, "done": status, **step_counts(run)})
            return status
        if not ids:
            # Someone else's live lease: wait for it to finish or go stale.
            time.sleep(min(1.0, lease_seconds() / 10))


def eod_run_until(
    *,
    target: dt.date | None = None,
    actor: Any = ACTOR,
    progress: Progress | None = None,
    max_days: int = 366,
) -> list[BatchRun]:
    """Catch up: close the current date, then the next, ... up to `target` (default: the real
    Beijing date - 1), one date at a time; stops at the first date that fails."""
    target = target or beijing_yesterday()
    done: list[BatchRun] = []
    for _ in range(max_days):
        current = business_date_current()
        if current > target:
            break
        batch = batch_run_sync(business_date=current, actor=actor, progress=progress)
        done.append(batch)
        if batch.status != RunStatus.SUCCEEDED:
            break
    return done
