"""`manage.py run_eod [--date D] [--until T] [--step S] [--celery]`: run the nightly settlement.

Without options it closes the current business date, in this process, with a progress bar per
step. --until catches up one date at a time up to T (default with --catch-up: Beijing yesterday).
--step runs one step of the date alone (no advance). --celery dispatches the chunks to the
workers and polls the progress instead.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from autofin.business_date import business_date_current
from servicing.eod import runner, sync_driver
from servicing.eod.registry import steps_ordered
from servicing.models.eod import BatchRun, RunStatus, StepRun
from servicing.tasks.eod import eod_batch_start


def bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


class Command(BaseCommand):
    help = "Run the nightly settlement (日结) for the business date, with progress."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, help="business date to close")
        parser.add_argument("--until", type=dt.date.fromisoformat, help="catch up to this date")
        parser.add_argument("--catch-up", action="store_true", help="catch up to Beijing yesterday")
        parser.add_argument("--step", choices=[s.code for s in steps_ordered()], help="one step")
        parser.add_argument("--celery", action="store_true", help="dispatch to Celery workers")

    def handle(self, *args, **opts):
        out = self.stdout
        self._started: dict[str, float] = {}

        def progress(p: dict) -> None:
            step = p["step"]
            self._started.setdefault(step, time.monotonic())
            total = sum(p.get(k, 0) for k in ("pending", "running", "succeeded", "failed"))
            done = p.get("succeeded", 0)
            line = f"\r{step:<16} {bar(done, total)} {time.monotonic() - self._started[step]:6.1f}s"
            if p.get("failed"):
                line += f" failed: {p['failed']}"
            out.write(line, ending="")
            if p.get("done"):
                out.write(f"  {p['done']}")  # the step closed: keep its line
            out.flush()

        if opts["celery"]:
            return self._celery(opts)
        try:
            if opts["until"] or opts["catch_up"]:
                batches = sync_driver.eod_run_until(target=opts["until"], progress=progress)
            else:
                batches = [
                    sync_driver.batch_run_sync(
                        business_date=opts["date"], only_step=opts["step"], progress=progress
                    )
                ]
        except runner.EodError as exc:
            raise CommandError(str(exc)) from exc
        for b in batches:
            out.write(f"{b.business_date}: {b.status} {b.error}".rstrip())
        if any(b.status == "failed" for b in batches):
            sys.exit(1)

    def _celery(self, opts):
        date = opts["date"] or business_date_current()
        eod_batch_start.delay(
            date.isoformat(), opts["until"].isoformat() if opts["until"] else None
        )
        while True:
            time.sleep(1)
            batch = BatchRun.objects.filter(business_date=date).first()
            if batch is None:
                continue
            runs = {s.code: s for s in StepRun.objects.filter(batch=batch)}
            parts = []
            for s in steps_ordered():
                run = runs.get(s.code)
                if run is None:
                    continue
                counts = runner.step_counts(run)
                parts.append(f"{s.code}:{counts['succeeded']}/{sum(counts.values())}")
            self.stdout.write("\r" + " ".join(parts[-3:]).ljust(100), ending="")
            self.stdout.flush()
            if batch.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
                self.stdout.write(f"\n{batch.business_date}: {batch.status} {batch.error}")
                return
