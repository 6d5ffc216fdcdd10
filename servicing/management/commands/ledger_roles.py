"""`manage.py ledger_roles [--sql]`: give the ledger to its maintenance role.

See servicing.ledger_roles.

Without options: create the roles if this login is a superuser, then make `autofin_maint` own the
ledger tables and grant `autofin_app` its privileges (what migration 0010 does; run it again
after the DBA's part when the migration could not). With --sql: print the SQL a superuser runs
once per cluster when the migrating login is not one.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from servicing.ledger_roles import dba_sql, ledger_roles_apply


class Command(BaseCommand):
    help = "Set up the ledger's maintenance and application roles (or print the DBA's SQL)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sql", action="store_true", help="print the SQL a superuser runs, change nothing"
        )

    def handle(self, *args, sql: bool = False, **options):
        with connection.cursor() as cursor:
            if sql:
                cursor.execute("SELECT current_user")
                self.stdout.write(dba_sql(cursor.fetchone()[0]))
                return
            with transaction.atomic():
                note = ledger_roles_apply(cursor)
        if note:
            raise CommandError(note)
        self.stdout.write(self.style.SUCCESS("ledger owned by autofin_maint; autofin_app granted"))
