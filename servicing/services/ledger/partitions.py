"""The monthly partitions of the journal lines (declarative RANGE partitioning on the line's
`business_date`, migration servicing.0045_partitioning; docs/scaling.md).

One place builds a month's partition, for the migration (the current window) and for
`manage.py partitions_ensure` (beat, monthly): its bounds, its name and the guards every partition
carries itself. The guards on the partitioned table fire for statements naming it; a statement
naming a partition directly (only the maintenance role may: the application's role has no
privilege on partitions) fires the partition's own, so a direct INSERT into a future month is
checked for balance exactly as one through the parent.

A DEFAULT partition catches a line whose month has no partition yet (a back-dated or far-future
entry): nothing is refused for want of a partition, and `partitions_ensure` reports its rows. A
month cannot be created while the DEFAULT holds rows of that month (PostgreSQL would have to move
them): the command says so and leaves it to a person (docs/scaling.md, "DEFAULT rows").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from autofin.business_date import business_date_current
from servicing.ledger_roles import ledger_maintenance

PARENT = "servicing_journalline"
DEFAULT_PARTITION = f"{PARENT}_default"

# The guard standing for the lines' foreign keys (migration 0049_journal_line_reference_guard).
# Migration 0045 builds the first partitions before that function exists: it is added there
# when it does, and 0049 adds it to the partitions made before.
JOURNAL_LINE_REFERENCES_GUARD = """
DO $$
BEGIN
    IF to_regprocedure('servicing_journal_line_references_check()') IS NOT NULL THEN
        CREATE TRIGGER journal_line_references_exist
            AFTER INSERT ON {name} REFERENCING NEW TABLE AS new_lines
            FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_references_check();
    END IF;
END
$$;
"""

# Per-partition copies of the parent's statement-level guards (migrations 0003, 0049 and this
# one).
_GUARDS = (
    """
CREATE TRIGGER journal_line_balance_check
    AFTER INSERT ON {name} REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_balance_check();
CREATE TRIGGER journal_line_append_only
    BEFORE UPDATE OR DELETE ON {name}
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_append_only();
CREATE TRIGGER journal_line_no_truncate
    BEFORE TRUNCATE ON {name}
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_no_truncate();
"""
    + JOURNAL_LINE_REFERENCES_GUARD
)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


def default_partition_create(cursor) -> bool:
    if _exists(cursor, DEFAULT_PARTITION):
        return False
    cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT")
    cursor.execute(_GUARDS.format(name=DEFAULT_PARTITION))
    return True


def default_rows(cursor, lo: dt.date | None = None, hi: dt.date | None = None) -> int:
    if lo is None or hi is None:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608 - constant
    else:
        cursor.execute(
            f"SELECT count(*) FROM {DEFAULT_PARTITION} "  # noqa: S608 - constant
            "WHERE business_date >= %s AND business_date < %s",
            [lo, hi],
        )
    return cursor.fetchone()[0]


@dataclass
class EnsureReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    # months that could not be created because the DEFAULT partition holds rows of them
    blocked: dict[str, int] = field(default_factory=dict)
    default_rows: int = 0


def month_partitions_ensure(cursor, first: dt.date, last: dt.date) -> EnsureReport:
    """Create every missing month partition from `first`'s month to `last`'s (inclusive) and the
    DEFAULT partition. Idempotent. The cursor must act for the ledger's owner (the maintenance
    role, servicing.ledger_roles.ledger_maintenance)."""
    report = EnsureReport()
    default_partition_create(cursor)
    month, end = month_start(first), month_start(last)
    while month <= end:
        name, upper = partition_name(month), month_add(month, 1)
        if _exists(cursor, name):
            report.existing.append(name)
        elif waiting := default_rows(cursor, month, upper):
            report.blocked[name] = waiting
        else:
            # DDL takes no bind parameters: the bounds are dates we formatted ourselves
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{upper.isoformat()}')"
            )
            cursor.execute(_GUARDS.format(name=name))
            report.created.append(name)
        month = upper
    report.default_rows = default_rows(cursor)
    return report


def journal_partitions_ensure(months_ahead: int | None = None) -> EnsureReport:
    """The month partitions from the business date's month to `months_ahead` months after it
    (settings.LEDGER_PARTITION_MONTHS_AHEAD by default), created as the maintenance role."""
    if months_ahead is None:
        months_ahead = settings.LEDGER_PARTITION_MONTHS_AHEAD
    today = business_date_current()
    with ledger_maintenance() as cursor:
        report = month_partitions_ensure(cursor, today, month_add(month_start(today), months_ahead))
        # autovacuum ANALYZEs the partitions but never a partitioned parent, whose statistics
        # (stainherit) are the planner's estimates for joins against the whole table; monthly is
        # enough, as the months and the book grow slowly. ANALYZE of a parent samples every
        # partition too: seconds, not a scan of the table.
        cursor.execute(f"ANALYZE {PARENT}")
    # the schedule rows' parent belongs to the application's owner, not the maintenance role
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE servicing_loanschedulerow")
    return report
