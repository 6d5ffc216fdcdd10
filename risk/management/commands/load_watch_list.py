"""Load a watch-list file (CSV; columns in risk.services.watch_list) for one source."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from risk.services.watch_list import SANDBOX_FILE, SANDBOX_SOURCE, watch_list_load


class Command(BaseCommand):
    help = "Load a watch list (sanctions / PEP / internal / court enforcement / 失信被执行人) from CSV."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(SANDBOX_FILE))
        parser.add_argument(
            "--source", default=SANDBOX_SOURCE, help="the list's source (one per file)"
        )

    def handle(self, *args, path: str, source: str, **options):
        try:
            load = watch_list_load(path=Path(path), source=source, actor="load_watch_list")
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{source}: +{load.added} ~{load.changed} -{load.removed} "
            "(the nightly re-screen picks the changes up)"
        )
