"""Load a court list file (被执行人 or 失信被执行人; columns in risk.services.court_lists)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from risk.services.court_lists import COURT_SOURCES, court_list_load


class Command(BaseCommand):
    help = "Load a court enforcement (被执行人) or dishonest-debtor (失信被执行人) list from CSV."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--list", dest="list_type", required=True, choices=list(COURT_SOURCES))

    def handle(self, *args, path: str, list_type: str, **options):
        try:
            load = court_list_load(path=Path(path), list_type=list_type, actor="load_court_list")
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{load.source}: +{load.added} ~{load.changed} -{load.removed} "
            "(the nightly batch matches the book against it)"
        )
