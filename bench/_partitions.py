"""The journal lines' month partitions a bench needs (migration servicing.0038 creates them
around today's date; the benches post on their fixed DAY), shared by eod.py and ledger.py."""

from __future__ import annotations

import datetime as dt


def partitions_ready(day: dt.date, months_back: int = 0) -> str:
    """The journal lines' month partitions for the bench's dates (the migration made them
    around today's date, the bench posts on DAY), as partitions_ensure would have; says how
    many partitions there are and what the DEFAULT partition holds (0 unless a date was missed)."""
    from servicing.ledger_roles import ledger_maintenance
    from servicing.services.ledger import partitions

    first = partitions.month_add(partitions.month_start(day), -months_back)
    # every month from the first back to three past the day's (a realistic book's months of
    # history included: a month without its partition lands in DEFAULT, and blocks it later)
    last = partitions.month_add(partitions.month_start(day), 3)
    with ledger_maintenance() as cursor:
        report = partitions.month_partitions_ensure(cursor, first, last)
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'servicing_journalline'::regclass"
        )
        count = cursor.fetchone()[0]
    return (
        f"journal lines partitioned by month: {count} partitions ({len(report.created)} created "
        f"now), {report.default_rows:,} lines in the DEFAULT partition"
    )
