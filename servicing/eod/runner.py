"""Running the nightly batch: open a business date, plan each step's chunks, claim chunks as
leases, execute them, close steps, advance the date.

Two drivers share these functions:
* servicing.eod.sync_driver runs everything in this process (tests, `manage.py run_eod`, small
  books);
* servicing.tasks.eod dispatches each step's chunks as a Celery chord across workers.

Settings (all optional): EOD_CHUNK_SIZE (loan ids per chunk, 10 000), EOD_LEASE_SECONDS (a
running chunk without a heartbeat for this long is stale, 120), EOD_HEARTBEAT_SECONDS (10),
EOD_CHUNK_PAUSE_MS and EOD_YIELD_* (a worker's pause after each chunk it committed, adapted to
online latency: servicing.eod.throttle).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import (
    business_date_advance,
    business_date_closing_start,
    business_date_current,
)
from autofin.online_latency import idle_baseline_store
from autofin.policy import policy_value
from servicing.eod.registry import ACTOR, Step, StepContext, step_get, steps_ordered
from servicing.eod.throttle import chunk_pause
from servicing.models.eod import BatchRun, ChunkRun, RunStatus, StepRun

log = logging.getLogger(__name__)


class EodError(Exception):
    """The batch refuses (wrong date, a step that must not run yet)."""


class LeaseLost(Exception):
    """Another owner took the chunk's lease over (ours went stale): roll our work back."""


def chunk_size() -> int:
    return settings.EOD_CHUNK_SIZE


def lease_seconds() -> int:
    return settings.EOD_LEASE_SECONDS


def heartbeat_seconds() -> float:
    return settings.EOD_HEARTBEAT_SECONDS


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def beijing_yesterday() -> dt.date:
    """The last date the batch may close without a target: the real Beijing date - 1."""
    return timezone.localdate() - dt.timedelta(days=1)


def calendar_now() -> dt.datetime:
    """The wall clock in Beijing: the one place the batch reads it (tests set it)."""
    return timezone.localtime()


def closable_until() -> dt.date:
    """The last business date the batch may close now: yesterday's calendar date, or today's
    once the same-day cut-off hour (policy `servicing.eod_same_day_cutoff_hour`) has passed."""
    now = calendar_now()
    cutoff = policy_value("servicing.eod_same_day_cutoff_hour")
    today = now.date()
    return today if now.hour >= cutoff else today - dt.timedelta(days=1)


def batch_date_check(business_date: dt.date) -> None:
    """Refuse to close a business date the calendar has not finished (catch-up is allowed)."""
    limit = closable_until()
    if business_date > limit:
        today = calendar_now().date()
        raise EodError(
            _(
                "营业日 %(date)s 尚未结束，不能日结：只能日结今天（%(today)s）之前的营业日，"
                "或在北京时间 %(hour)s:00 之后日结今天。"
            )
            % {
                "date": business_date.isoformat(),
                "today": today.isoformat(),
                "hour": policy_value("servicing.eod_same_day_cutoff_hour"),
            }
        )


# --- opening and closing a date -----------------------------------------------------------------


def batch_open(
    *, business_date: dt.date, actor: Any = ACTOR, catch_up_to: dt.date | None = None
) -> BatchRun:
    """Start (or resume) closing `business_date`: the calendar goes to "closing" (postings carry
    D+1 from now on) and the BatchRun is running. Refuses a date that is not the current one."""
    current = business_date_current()
    if business_date != current:
        raise EodError(f"cannot close {business_date}: the business date is {current}")
    batch_date_check(business_date)
    with transaction.atomic():
        business_date_closing_start(actor=actor, date=business_date)
        batch, created = BatchRun.objects.select_for_update().get_or_create(
            business_date=business_date,
            defaults={
                "status": RunStatus.RUNNING,
                "started_at": timezone.now(),
                "triggered_by": str(actor)[:150],
                "catch_up_to": catch_up_to,
            },
        )
        if not created:
            changed = ["status", "error"]
            if batch.status == RunStatus.SUCCEEDED:
                return batch
            batch.status = RunStatus.RUNNING
            batch.error = ""
            if catch_up_to and (batch.catch_up_to or business_date) < catch_up_to:
                batch.catch_up_to = catch_up_to
                changed.append("catch_up_to")
            batch.save(update_fields=changed)
        else:
            audit_record(actor=actor, obj=batch, action="eod_batch_open", to_state="running")
            # what online requests take with no batch running: the throttle's yardstick tonight
            idle_baseline_store()
    return batch


def batch_close(*, batch_id: int, actor: Any = ACTOR) -> BatchRun:
    """Every step succeeded: advance the business date (once) and mark the batch succeeded."""
    with transaction.atomic():
        batch = BatchRun.objects.select_for_update().get(pk=batch_id)
        if batch.status == RunStatus.SUCCEEDED:
            return batch
        if next_step(batch) is not None:
            missing = [s.code for s in steps_ordered() if not _step_succeeded(batch, s.code)]
            raise EodError(f"steps not done for {batch.business_date}: {', '.join(missing)}")
        batch.advanced_to = business_date_advance(
            actor=actor, expected=batch.business_date, reason="日结完成"
        )
        batch.status = RunStatus.SUCCEEDED
        batch.finished_at = timezone.now()
        batch.save(update_fields=["advanced_to", "status", "finished_at"])
        audit_record(
            actor=actor,
            obj=batch,
            action="eod_batch_close",
            from_state="running",
            to_state="succeeded",
            data={"advanced_to": batch.advanced_to.isoformat()},
        )
    return batch


def _step_succeeded(batch: BatchRun, code: str) -> bool:
    return StepRun.objects.filter(batch=batch, code=code, status=RunStatus.SUCCEEDED).exists()


def batch_fail(*, batch_id: int, error: str) -> None:
    BatchRun.objects.filter(pk=batch_id).exclude(status=RunStatus.SUCCEEDED).update(
        status=RunStatus.FAILED, error=error[:4000]
    )


# --- planning a step ------------------------------------------------------------------------------


def loan_id_ranges(size: int | None = None) -> list[tuple[int, int]]:
    """Contiguous loan-id ranges of `size` ids covering every loan that exists now."""
    size = size or chunk_size()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM servicing_loan")
        lo, hi = cursor.fetchone()
    if lo is None:
        return [(0, 0)]
    return [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]


def step_plan(*, batch: BatchRun, step: Step) -> StepRun:
    """The step's run with its chunks; the first call runs the step's prepare hook and creates
    the chunks in one transaction (so they exist exactly once)."""
    with transaction.atomic():
        run, _created = StepRun.objects.get_or_create(
            batch=batch, code=step.code, defaults={"position": step.position}
        )
        run = StepRun.objects.select_for_update().get(pk=run.pk)
        if run.chunks.exists() or run.status == RunStatus.SUCCEEDED:
            return run
        ctx = StepContext(business_date=batch.business_date, batch_id=batch.pk, step_id=run.pk)
        prepared = step.prepare(ctx) if step.prepare else None
        ranges = loan_id_ranges() if step.chunked_on(batch.business_date) else [(0, 0)]
        ChunkRun.objects.bulk_create(
            [
                ChunkRun(step=run, chunk_no=n, lo_id=lo, hi_id=hi)
                for n, (lo, hi) in enumerate(ranges)
            ]
        )
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.result = {"prepare": prepared} if prepared else {}
        run.save(update_fields=["status", "started_at", "result"])
    return run


# --- chunks as leases ----------------------------------------------------------------------------


def chunk_claim(*, chunk_id: int, owner: str) -> bool:
    """Take the chunk's lease if it is pending, or running with a stale heartbeat."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE servicing_chunkrun
               SET status = 'running', owner = %s, heartbeat_at = now(), started_at = now(),
                   attempts = attempts + 1, error = ''
             WHERE id = %s
               AND (status = 'pending'
                    OR (status = 'running'
                        AND heartbeat_at < now() - make_interval(secs => %s)))
            RETURNING id
            """,
            [owner[:120], chunk_id, lease_seconds()],
        )
        return cursor.fetchone() is not None


class Heartbeat:
    """Refreshes the chunk's heartbeat from its own connection while the chunk's (uncommitted)
    transaction works; stopped before the chunk marks itself done."""

    def __init__(self, *, chunk_id: int, owner: str) -> None:
        self.chunk_id = chunk_id
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"eod-hb-{chunk_id}")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(heartbeat_seconds()):
                ChunkRun.objects.filter(
                    pk=self.chunk_id, owner=self.owner, status=RunStatus.RUNNING
                ).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a heartbeat failure must not kill the chunk
            log.exception("eod heartbeat for chunk %s failed", self.chunk_id)
        finally:
            connections.close_all()


def chunk_execute(*, chunk_id: int, owner: str | None = None) -> str:
    """Claim and run one chunk. Returns "succeeded", "failed", "skipped" (not claimable: done,
    or someone else's live lease) or "lost" (our lease was taken over meanwhile)."""
    owner = owner or worker_name()
    if not chunk_claim(chunk_id=chunk_id, owner=owner):
        return "skipped"
    # Three primary-key reads, not one join: on run tables whose statistics say "empty" (a fresh
    # or just-emptied database: every test run, a new installation's first nights) the join's
    # plan scanned every step's chunks for each chunk, quadratic in the batch's length.
    chunk = ChunkRun.objects.get(pk=chunk_id)
    step_run = StepRun.objects.get(pk=chunk.step_id)
    step = step_get(step_run.code)
    ctx = StepContext(
        business_date=BatchRun.objects.values_list("business_date", flat=True).get(
            pk=step_run.batch_id
        ),
        batch_id=step_run.batch_id,
        step_id=step_run.pk,
        chunk_id=chunk.pk,
    )
    started = timezone.now()
    heartbeat = Heartbeat(chunk_id=chunk_id, owner=owner)
    try:
        with heartbeat, transaction.atomic():
            _session_tune()
            result = step.run_chunk(ctx, chunk.lo_id, chunk.hi_id) or {}
            heartbeat.stop()
            result["ms"] = int((timezone.now() - started).total_seconds() * 1000)
            done = ChunkRun.objects.filter(
                pk=chunk_id, owner=owner[:120], status=RunStatus.RUNNING
            ).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now(), result=result)
            if done != 1:
                raise LeaseLost(f"chunk {chunk_id}: lease lost")
        paused_ms = chunk_pause()
        if paused_ms:
            # for the 日结 page's count of yields; one UPDATE after a pause of at least
            # EOD_YIELD_STEP_MS costs nothing by comparison, and a night with no pause writes none
            ChunkRun.objects.filter(pk=chunk_id).update(pause_ms=paused_ms)
        return "succeeded"
    except LeaseLost:
        log.warning("eod chunk %s: lease lost by %s; work rolled back", chunk_id, owner)
        return "lost"
    except Exception:  # noqa: BLE001 - recorded on the chunk, shown on the dashboard
        error = traceback.format_exc()
        log.error("eod chunk %s failed: %s", chunk_id, error)
        ChunkRun.objects.filter(pk=chunk_id, owner=owner[:120]).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=error[-4000:]
        )
        return "failed"


def _session_tune() -> None:
    """Per chunk transaction: no JIT (compiling each set-based statement cost more than running
    it: ~0.5 s a statement on a 10 000-loan chunk); and an asynchronous commit — a chunk's work
    and its "succeeded" mark commit together, so a crash that loses the last chunks' commits
    loses both, and the batch re-runs those chunks; meanwhile its megabytes of WAL are flushed
    by the WAL writer in the background instead of in front of the next online payment's
    commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL synchronous_commit = off")


def chunks_stale() -> list[ChunkRun]:
    """Running chunks whose lease ran out (their worker died or hangs)."""
    limit = timezone.now() - dt.timedelta(seconds=lease_seconds())
    return list(
        ChunkRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit)
        .select_related("step")
        .order_by("id")
    )


# --- closing a step ---------------------------------------------------------------------------


def step_counts(step_run: StepRun) -> dict[str, int]:
    counts = dict(
        step_run.chunks.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {s.value: counts.get(s.value, 0) for s in RunStatus}


def _merge(results: list[dict]) -> dict:
    total: dict[str, Any] = {}
    for result in results:
        for key, value in result.items():
            if key == "ms":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit():
                from decimal import Decimal

                total[key] = str(Decimal(total.get(key, "0")) + Decimal(value))
            else:
                total.setdefault(key, value)
    return total


def step_finish(*, step_run_id: int) -> str:
    """Close the step if every chunk is done: "succeeded", "failed" or "running" (not yet)."""
    try:
        with transaction.atomic():
            run = StepRun.objects.select_for_update().select_related("batch").get(pk=step_run_id)
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
                return run.status
            counts = step_counts(run)
            if counts[RunStatus.PENDING] or counts[RunStatus.RUNNING]:
                return RunStatus.RUNNING
            if counts[RunStatus.FAILED]:
                errors = list(
                    run.chunks.filter(status=RunStatus.FAILED)
                    .order_by("chunk_no")
                    .values_list("chunk_no", "error")[:3]
                )
                run.status = RunStatus.FAILED
                run.error = "\n".join(f"#{n}: {e.strip().splitlines()[-1]}" for n, e in errors)
                run.finished_at = timezone.now()
                run.save(update_fields=["status", "error", "finished_at"])
                batch_fail(batch_id=run.batch_id, error=f"{run.code}: {run.error}")
                return RunStatus.FAILED
            step = step_get(run.code)
            _session_tune()
            result = dict(run.result or {})
            result.update(_merge(list(run.chunks.values_list("result", flat=True))))
            if step.finalize:
                ctx = StepContext(
                    business_date=run.batch.business_date, batch_id=run.batch_id, step_id=run.pk
                )
                result["finalize"] = step.finalize(ctx) or {}
            run.status = RunStatus.SUCCEEDED
            run.result = result
            run.error = ""
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "result", "error", "finished_at"])
            return RunStatus.SUCCEEDED
    except Exception as exc:  # noqa: BLE001 - a failing finalize fails the step, visibly
        error = traceback.format_exc()
        log.error("eod step %s finalize failed: %s", step_run_id, error)
        StepRun.objects.filter(pk=step_run_id).update(
            status=RunStatus.FAILED,
            error=str(exc)[:4000] or error[-4000:],
            finished_at=timezone.now(),
        )
        run = StepRun.objects.get(pk=step_run_id)
        batch_fail(batch_id=run.batch_id, error=f"{run.code}: {exc}")
        return RunStatus.FAILED


def batch_retry(*, batch_id: int, actor: Any) -> BatchRun:
    """The operator's retry: failed chunks and steps go back to pending; the batch runs again."""
    with transaction.atomic():
        batch = BatchRun.objects.select_for_update().get(pk=batch_id)
        if batch.status == RunStatus.SUCCEEDED:
            return batch
        ChunkRun.objects.filter(step__batch=batch, status=RunStatus.FAILED).update(
            status=RunStatus.PENDING, owner="", finished_at=None
        )
        StepRun.objects.filter(batch=batch, status=RunStatus.FAILED).update(
            status=RunStatus.RUNNING, error="", finished_at=None
        )
        batch.status = RunStatus.RUNNING
        batch.error = ""
        batch.save(update_fields=["status", "error"])
        audit_record(actor=actor, obj=batch, action="eod_batch_retry", to_state="running")
    return batch


def next_step(batch: BatchRun, only: str | None = None) -> Step | None:
    done = set(
        StepRun.objects.filter(batch=batch, status=RunStatus.SUCCEEDED).values_list(
            "code", flat=True
        )
    )
    for step in steps_ordered():
        if only and step.code != only:
            continue
        if step.code not in done:
            return step
    return None
