"""`manage.py partitions_ensure [--months N]`: the journal lines' month partitions ahead.

Creates (as the maintenance role) every missing month partition from the business date's month
to N months after it (LEDGER_PARTITION_MONTHS_AHEAD by default); idempotent. Run by migration
0038 for the first window and monthly by beat (`ledger-partitions-ensure`). Reports the rows in
the DEFAULT partition (lines whose month had no partition: nothing is lost, but they should not
be there) and fails when a month cannot be created because the DEFAULT holds rows of it
(docs/scaling.md, "DEFAULT rows").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from servicing.services.ledger.partitions import DEFAULT_PARTITION, journal_partitions_ensure


class Command(BaseCommand):
    help = "Create the journal lines' month partitions ahead of the business date."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=int, default=None, help="months ahead (default: the setting)"
        )

    def handle(self, *args, months: int | None = None, **options):
        if months is not None and months < 0:
            raise CommandError("--months must be 0 or more")
        report = journal_partitions_ensure(months)
        for name in report.created:
            self.stdout.write(f"created {name}")
        self.stdout.write(
            f"{len(report.created)} created, {len(report.existing)} already there; "
            f"{report.default_rows} row(s) in {DEFAULT_PARTITION}"
        )
        if report.default_rows:
            self.stderr.write(
                f"{DEFAULT_PARTITION} holds {report.default_rows} line(s) whose month has no "
                "partition (docs/scaling.md, DEFAULT rows)"
            )
        if report.blocked:
            blocked = ", ".join(f"{name} ({n} rows)" for name, n in report.blocked.items())
            raise CommandError(f"not created, the DEFAULT partition holds their rows: {blocked}")
