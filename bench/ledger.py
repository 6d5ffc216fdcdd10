"""Ledger posting speed, and what the database's balance guards cost on a bulk statement.

    .venv/bin/python bench/ledger.py [--entries 2000] [--batch 50000] [--lines 1000000] [--keep]

Creates a scratch database `autofin_bench_ledger` on the server of DATABASE_URL (default the
local PostgreSQL), migrates it, runs, and drops it at the end (unless --keep). Figures:

1. journal_post one entry at a time (2 lines each, each its own transaction): entries/s, and
   the same with synchronous_commit=off (the commit's WAL flush not waited for);
2. journal_post_many, one call of --batch entries (2 lines each): entries/s;
3. one INSERT statement of --lines lines (2 per entry, the entries inserted by one statement
   before it), data made by generate_series in SQL, one transaction; the time of the header
   statement, the line statement, the deferred checks (run by SET CONSTRAINTS ALL IMMEDIATE
   before COMMIT) and the COMMIT, with the guards enabled and with them
   disabled (the line-statement balance trigger and the deferred per-entry trigger), each on
   empty tables; with the guards on, the time PostgreSQL spent in each trigger function
   (pg_stat_xact_user_functions; a machine shared with other work makes the wall-clock
   figures noisy, these much less); plus a run with one unbalanced entry (refused as a whole);
4. trial_balance() over the lines left by the last run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = dt.date(2026, 3, 16)
GUARDS = [
    ("servicing_journalline", "journal_line_balance_check"),
    ("servicing_journalentry", "journal_entry_has_lines"),
]


from _common import db_drop, db_name, scratch_database  # noqa: E402
from _partitions import partitions_ready  # noqa: E402

BENCH_DB = db_name("autofin_bench_ledger")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = scratch_database(BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
    os.environ.setdefault("TESTING", "0")
    import django

    django.setup()


LOANS = 10_000  # postings name loans 1..LOANS (the ledger's loan key is a foreign key)


def loan_of(n: int) -> int:
    return 1 + n % LOANS


def bench_loans() -> None:
    """LOANS bare loan rows with ids 1..LOANS for the postings to name."""
    from django.contrib.auth import get_user_model

    from servicing.models.loans import Loan

    customer = get_user_model().objects.create(username="bench-customer")
    Loan.objects.bulk_create(
        (
            Loan(
                pk=i,
                contract_ref=f"BENCH-{i}",
                customer=customer,
                amount_financed=Decimal("120000.00"),
                annual_rate=Decimal("0.06"),
                penalty_rate=Decimal("0.09"),
                term_months=12,
                method="equal_instalment",
                value_date=DAY,
                first_due_date=DAY + dt.timedelta(days=31),
                day_count="30/360",
                status_date=DAY,
                principal_outstanding=Decimal("120000.00"),
                accrued_through=DAY,
                schedule_rate=Decimal("0.06"),
            )
            for i in range(1, LOANS + 1)
        ),
        batch_size=2000,
    )


def empty_ledger() -> None:
    from django.db import connection

    from servicing.ledger_roles import ledger_maintenance

    with ledger_maintenance() as cursor:
        cursor.execute("TRUNCATE servicing_journalline, servicing_journalentry")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE servicing_journalentry")
        cursor.execute("VACUUM ANALYZE servicing_journalline")
        cursor.execute("CHECKPOINT")


def bench_one_by_one(count: int, offset: int = 0) -> float:
    from servicing.services.ledger.posting import journal_post

    start = time.perf_counter()
    for i in range(offset, offset + count):
        amount = Decimal(1000 + i) / 100
        journal_post(
            business_date=DAY,
            source_type="accrual",
            source_id=str(i),
            lines=[
                ("interest_receivable", "D", amount, loan_of(i)),
                ("interest_income", "C", amount, loan_of(i)),
            ],
            idempotency_key=f"bench:one:{i}",
        )
    return count / (time.perf_counter() - start)


def bench_many(count: int) -> tuple[float, float]:
    from servicing.services.ledger.entries import EntrySpec
    from servicing.services.ledger.posting import journal_post_many

    specs = [
        EntrySpec(
            business_date=DAY,
            source_type="accrual",
            source_id=str(i),
            lines=[
                ("interest_receivable", "D", Decimal(1000 + i % 5000) / 100, loan_of(i)),
                ("interest_income", "C", Decimal(1000 + i % 5000) / 100, loan_of(i)),
            ],
            idempotency_key=f"bench:many:{i}",
        )
        for i in range(count)
    ]
    start = time.perf_counter()
    journal_post_many(entries=specs)
    elapsed = time.perf_counter() - start
    return count / elapsed, elapsed


def bulk_statement(lines: int, *, guards: bool, unbalanced: bool = False) -> dict[str, float]:
    """Insert lines // 2 entries and `lines` lines by two statements in one transaction."""
    from django.db import IntegrityError, connection, transaction

    entries = lines // 2
    with connection.cursor() as cursor:
        cursor.execute("SET track_functions = 'pl'")  # per-function times (superuser)
        for table, trigger in GUARDS:
            cursor.execute(
                f"ALTER TABLE {table} {'ENABLE' if guards else 'DISABLE'} TRIGGER {trigger}"
            )
        cursor.execute("SELECT id FROM servicing_ledgeraccount WHERE code = 'interest_receivable'")
        debit_account = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM servicing_ledgeraccount WHERE code = 'interest_income'")
        credit_account = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM servicing_journalentry")
        base = cursor.fetchone()[0]
    figures: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO servicing_journalentry
                    (id, business_date, source_type, source_id, loan_id, description,
                     idempotency_key, created_by_label)
                SELECT %(base)s + g, %(day)s, 'accrual', g::text, 1 + g %% %(loans)s, '',
                       'bench:bulk:' || (%(base)s + g), 'bench'
                  FROM generate_series(1, %(entries)s) AS g
                """,
                {"base": base, "day": DAY, "entries": entries, "loans": LOANS},
            )
            t1 = time.perf_counter()
            figures["headers_s"] = t1 - t0
            cursor.execute(
                """
                INSERT INTO servicing_journalline
                    (entry_id, account_id, side, amount, loan_id, business_date)
                SELECT %(base)s + (g + 1) / 2,
                       CASE WHEN g %% 2 = 1 THEN %(debit)s ELSE %(credit)s END,
                       CASE WHEN g %% 2 = 1 THEN 'D' ELSE 'C' END,
                       (10 + ((g + 1) / 2) %% 5000)::numeric / 100
                         + CASE WHEN %(unbalanced)s AND g = %(lines)s THEN 0.01 ELSE 0 END,
                       1 + ((g + 1) / 2) %% %(loans)s,
                       %(day)s
                  FROM generate_series(1, %(lines)s) AS g
                """,
                {
                    "day": DAY,
                    "base": base,
                    "debit": debit_account,
                    "credit": credit_account,
                    "lines": entries * 2,
                    "unbalanced": unbalanced,
                    "loans": LOANS,
                },
            )
            t2 = time.perf_counter()
            figures["lines_s"] = t2 - t1
            # the checks deferred to COMMIT (foreign keys, the per-entry trigger), run here
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            t3 = time.perf_counter()
            figures["deferred_s"] = t3 - t2
            cursor.execute(
                "SELECT funcname, total_time FROM pg_stat_xact_user_functions"
                " WHERE funcname IN ('servicing_journal_line_balance_check',"
                " 'servicing_journal_entry_has_lines')"
            )
            for name, ms in cursor.fetchall():
                figures[name] = ms / 1000
        figures["commit_s"] = time.perf_counter() - t3
        figures["refused"] = 0.0
    except IntegrityError:
        figures["refused"] = 1.0
    figures["total_s"] = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval('servicing_journalentry_id_seq', {base + entries})")
        for table, trigger in GUARDS:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000, help="entries posted one by one")
    parser.add_argument("--batch", type=int, default=50_000, help="entries in journal_post_many")
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the bulk statement")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    try:
        setup_django()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
        bench_loans()
        print(partitions_ready(DAY))

        rate = bench_one_by_one(args.entries)
        print(
            f"journal_post, one entry per transaction: {rate:,.0f} entries/s ({args.entries} entries)"
        )
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        rate = bench_one_by_one(args.entries, offset=args.entries)
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
        print(f"  the same with synchronous_commit=off (no wait for the WAL flush): {rate:,.0f}/s")
        rate, elapsed = bench_many(args.batch)
        print(
            f"journal_post_many, one call of {args.batch:,} entries: {rate:,.0f} entries/s "
            f"({elapsed:.2f} s)"
        )

        print(f"one INSERT of {args.lines:,} lines ({args.lines // 2:,} entries), empty tables:")
        for guards in (False, True, False, True):
            empty_ledger()
            f = bulk_statement(args.lines, guards=guards)
            print(
                f"  guards {'on ' if guards else 'off'}: headers {f['headers_s']:.2f} s, "
                f"lines {f['lines_s']:.2f} s, deferred checks {f['deferred_s']:.2f} s, "
                f"commit {f['commit_s']:.2f} s, total {f['total_s']:.2f} s"
            )
            if guards:
                print(
                    "    of which, measured inside PostgreSQL: balance trigger (one call) "
                    f"{f.get('servicing_journal_line_balance_check', 0):.2f} s, per-entry "
                    f"trigger ({args.lines // 2:,} calls) "
                    f"{f.get('servicing_journal_entry_has_lines', 0):.2f} s"
                )
        from servicing.models import JournalLine
        from servicing.selectors.ledger import trial_balance

        start = time.perf_counter()
        tb = trial_balance()
        print(
            f"trial_balance() over {JournalLine.objects.count():,} lines: "
            f"{time.perf_counter() - start:.2f} s, total {tb.total}"
        )
        f = bulk_statement(args.lines, guards=True, unbalanced=True)
        print(
            f"  the same with one unbalanced entry: refused={bool(f['refused'])} "
            f"after {f['total_s']:.2f} s"
        )
        print(partitions_ready(DAY))
        connection.close()
        if tb.total != 0 or not f["refused"]:
            raise SystemExit("FAILED: the trial balance is not zero or an unbalanced entry got in")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            db_drop(BENCH_DB)


if __name__ == "__main__":
    main()
