"""Two partial indexes on the schedule rows in force and not paid, for the nightly steps whose
work concerns the few loans with something falling due or in arrears (due, auto-debit,
delinquency, early warning, reminders; servicing.eod.sql.open_rows_sql):

* `eod_schedrow_pending_due` (due_date, loan_id) over the rows not yet fallen due (status
  `pending`): the rows due on one date for a chunk's loan-id range are one short range of it;
* `eod_schedrow_arrears` (loan_id, due_date) over the rows that fell due and are not paid
  (every other status but `paid`): a chunk's arrears are the entries of its id range, however
  many rows its loans have still to come.

Together they hold every unpaid row in force, each row in one of them by its status, so a step
asks both and misses nothing. The existing `eod_schedrow_open` (loan_id, due_date) holds the same
rows but, led by the loan, makes a chunk read every future row of its loans to find the few due
(about 18 rows a loan on the bench book).

Safe on a big book: no transaction (`atomic = False`); each index is declared on the parent
alone (ON ONLY: invalid, empty), built on each of the 16 hash partitions with CREATE INDEX
CONCURRENTLY (PostgreSQL cannot build a partitioned table's index concurrently), and attached;
the parent's index becomes valid once every partition's is attached. Writers are never blocked.
A build interrupted half-way leaves an invalid partition index: it is dropped and rebuilt when
the migration runs again. Both indexes cover only unpaid rows (about half of a book's rows)."""

from django.db import migrations

PARENT = "servicing_loanschedulerow"
INDEXES = {
    "eod_schedrow_pending_due": (
        "(due_date, loan_id) WHERE superseded_by_version IS NULL AND status = 'pending'"
    ),
    "eod_schedrow_arrears": (
        "(loan_id, due_date)"
        " WHERE superseded_by_version IS NULL AND status NOT IN ('paid', 'pending')"
    ),
}


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
        [PARENT],
    )
    return [r[0] for r in cursor.fetchall()]


def _invalid(cursor, name: str) -> bool:
    cursor.execute(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relname = %s",
        [name],
    )
    found = cursor.fetchone()
    return bool(found and found[0])


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        parts = _partitions(cursor)
        for name, definition in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON ONLY {PARENT} {definition}")
            for part in parts:
                child = f"{part}_{name}"
                if _invalid(cursor, child):
                    cursor.execute(f"DROP INDEX CONCURRENTLY {child}")
                cursor.execute(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {child} ON {part} {definition}"
                )
                # a no-op when already attached (a re-run)
                cursor.execute(f"ALTER INDEX {name} ATTACH PARTITION {child}")


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("servicing", "0047_ledger_checks_by_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
