"""Repayment posting speed: N repayments across L loans with W concurrent workers.

    .venv/bin/python bench/repayments.py [--loans 20000] [--repayments 100000] [--workers 4]
                                         [--mode batch|single] [--chunk 200] [--keep]

Creates a scratch database `autofin_bench_repayments` (or $BENCH_DB) on the server of
DATABASE_URL (default the local PostgreSQL), migrates it, and generates the loans fast (schedules
priced once per distinct amount, loans and rows by bulk_create, funding entries by
journal_post_many). Each loan pays its instalments one by one on their due dates; loans are
shared out round-robin among W worker processes, each with its own database connection.

* `--mode batch` (default): the way auto-debit money arrives — for each due date the nightly
  batch has left the day's instructions (`AutoDebitItem`s, written before the clock starts) and
  each worker applies its share of the bank's results file through
  `auto_debit_results_apply`: `--chunk` lines per transaction, posted set-based
  (`repayments_post_many_locked`: the same waterfall, allocations, one ledger entry and one
  audit row per repayment, as `repayment_post` writes them; tests check the two agree).
* `--mode single`: one `repayment_post` per transaction, as an online payment or an agent's
  posting (loan and row locks, waterfall, allocations, ledger entry, audit row).

Prints repayments (= ledger postings) per second, the time and worker CPU per posting and the
SQL statements of one posting (single) or one chunk (batch), then checks the trial balance is
zero, nothing was posted twice, and a sample of loans' ledger balances equal their schedules.
Drops the database at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import sys
import time
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Scratch database name: BENCH_DB in the environment (so two people can bench at once).
VALUE_DATE = dt.date(2026, 1, 15)
AMOUNTS = [Decimal(f"{a}.00") for a in (60000, 85000, 120000, 150000, 210000)]


from _common import db_drop, db_name, scratch_database, server_url, with_db  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", db_name("autofin_bench_repayments"))


def setup_django() -> None:
    os.environ["DATABASE_URL"] = with_db(os.environ.get("BENCH_SERVER_URL", server_url()), BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
    os.environ.setdefault("TESTING", "0")
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()


def generate(n_loans: int, term: int) -> None:
    from autofin.models import User
    from autofin.pricing import build_schedule
    from servicing.models.loans import Loan, LoanScheduleRow, LoanStatus
    from servicing.services.ledger.entries import EntrySpec
    from servicing.services.ledger.posting import journal_post_many
    from servicing.services.loans.schedule import schedule_rows_build

    user = User.objects.create(username="bench-customer", display_name="压测客户")
    schedules = {
        amount: build_schedule(
            amount_financed=amount,
            annual_rate=Decimal("0.058"),
            term_months=term,
            method="equal_instalment",
            value_date=VALUE_DATE,
            day_count="30/360",
        )
        for amount in AMOUNTS
    }
    batch = 2000
    for start in range(0, n_loans, batch):
        loans = [
            Loan(
                contract_ref=f"BENCH{i:07d}",
                customer=user,
                product_rules={"penalty_markup": "0.5"},
                amount_financed=AMOUNTS[i % len(AMOUNTS)],
                annual_rate=Decimal("0.058"),
                schedule_rate=Decimal("0.058"),
                penalty_rate=Decimal("0.087"),
                term_months=term,
                method="equal_instalment",
                value_date=VALUE_DATE,
                first_due_date=schedules[AMOUNTS[0]].first_due_date,
                day_count="30/360",
                status=LoanStatus.ACTIVE,
                status_date=VALUE_DATE,
                principal_outstanding=AMOUNTS[i % len(AMOUNTS)],
                accrued_through=VALUE_DATE,
            )
            for i in range(start, min(start + batch, n_loans))
        ]
        Loan.objects.bulk_create(loans)
        rows = []
        for loan in loans:
            rows.extend(
                schedule_rows_build(loan=loan, schedule=schedules[loan.amount_financed], version=1)
            )
        LoanScheduleRow.objects.bulk_create(rows, batch_size=5000)
        journal_post_many(
            entries=[
                EntrySpec(
                    business_date=VALUE_DATE,
                    source_type="disbursement",
                    source_id=loan.pk,
                    lines=[
                        ("principal_receivable", "D", loan.amount_financed, loan.pk),
                        ("bank_clearing", "C", loan.amount_financed, loan.pk),
                    ],
                    idempotency_key=f"bench-funding:{loan.pk}",
                    loan_id=loan.pk,
                )
                for loan in loans
            ],
            actor="bench",
        )


def worker(args: tuple[int, int, list[int], int, dict, mp.Queue, str, int]) -> None:
    index, workers, loan_ids, per_loan, instalments, queue, mode, chunk = args
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from servicing.services.repayments.auto_debit import auto_debit_results_apply
    from servicing.services.repayments.posting import repayment_post

    mine = loan_ids[index::workers]
    done = 0
    errors = 0
    statements = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for k in range(per_loan):
        due = instalments["due_dates"][k]
        if mode == "batch":
            # this worker's share of the bank's results file for the day (all debits succeeded)
            lines = ["instruction_ref,amount,result,reason,bank_ref"]
            for loan_id in mine:
                ref = f"AD{due:%Y%m%d}{loan_id:010d}"
                lines.append(f"{ref},{instalments['amounts'][loan_id][k]},success,,B{ref}")
            content = "\n".join(lines) + "\n"
            try:
                # the statements of the first chunk of the second day (the first warms up)
                probe = k == 1
                with CaptureQueriesContext(connection) if probe else nullcontext() as queries:
                    summary = auto_debit_results_apply(
                        content="\n".join(lines[: chunk + 1]) + "\n" if probe else content,
                        actor="bank",
                        business_date=due,
                        chunk=chunk,
                    )
                if probe:
                    statements = len(queries.captured_queries)
                    done += summary.succeeded
                    summary = auto_debit_results_apply(
                        content=content, actor="bank", business_date=due, chunk=chunk
                    )
                done += summary.succeeded
                errors += summary.failed + summary.unknown
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors += 1
                print(f"worker {index}: {exc!r}", file=sys.stderr)
            continue
        for loan_id in mine:
            amount = instalments["amounts"][loan_id][k]
            try:
                # The SQL statements of one posting (the second: the first warms caches up).
                with CaptureQueriesContext(connection) if done == 1 else nullcontext() as queries:
                    repayment_post(
                        loan_id=loan_id,
                        amount=amount,
                        source="auto_debit",
                        actor="bench",
                        business_date=due,
                        idempotency_key=f"bench:{loan_id}:{k}",
                    )
                if queries is not None:
                    statements = len(queries.captured_queries)
                done += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors += 1
                if errors < 3:
                    print(f"worker {index}: {exc!r}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    queue.put((index, done, errors, elapsed, time.process_time() - cpu_started, statements))


def auto_debit_files(loan_ids: list[int], per_loan: int, due_dates: list, amounts: dict) -> None:
    """What the nightly batch leaves for each due date: the day's file of instructions."""
    from servicing.models.repayments import AutoDebitBatch, AutoDebitItem

    for k in range(per_loan):
        due = due_dates[k]
        batch = AutoDebitBatch.objects.create(
            business_date=due, file_name=f"autodebit_{due:%Y%m%d}.csv", content=""
        )
        AutoDebitItem.objects.bulk_create(
            [
                AutoDebitItem(
                    batch=batch,
                    loan_id=loan_id,
                    amount=amounts[loan_id][k],
                    instruction_ref=f"AD{due:%Y%m%d}{loan_id:010d}",
                )
                for loan_id in loan_ids
            ],
            batch_size=5000,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=20000)
    parser.add_argument("--repayments", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--mode",
        choices=("batch", "single"),
        default="batch",
        help="batch: the bank's auto-debit results files, applied in chunks per transaction; "
        "single: one repayment_post per transaction (the online path)",
    )
    parser.add_argument("--chunk", type=int, default=200, help="lines per transaction (batch)")
    options = parser.parse_args()
    per_loan = max(1, options.repayments // options.loans)
    term = max(12, per_loan)
    os.environ["BENCH_SERVER_URL"] = server_url()

    scratch_database(BENCH_DB)
    try:
        setup_django()
        from django.db import connection

        from autofin.pricing import add_months
        from servicing.models import JournalEntry
        from servicing.models.loans import LoanScheduleRow
        from servicing.models.repayments import Repayment
        from servicing.selectors.ledger import loan_balances, trial_balance
        from servicing.selectors.loans import loan_figures

        t0 = time.perf_counter()
        generate(options.loans, term)
        t_gen = time.perf_counter() - t0
        loan_ids = list(
            __import__("servicing.models", fromlist=["Loan"])
            .Loan.objects.order_by("pk")
            .values_list("pk", flat=True)
        )
        amounts: dict[int, list[Decimal]] = {}
        for loan_id, no, instalment in LoanScheduleRow.objects.filter(
            instalment_no__lte=per_loan
        ).values_list("loan_id", "instalment_no", "instalment"):
            amounts.setdefault(loan_id, [Decimal(0)] * per_loan)[no - 1] = instalment
        due_dates = [add_months(VALUE_DATE, k + 1) for k in range(per_loan)]
        if options.mode == "batch":
            t0 = time.perf_counter()
            auto_debit_files(loan_ids, per_loan, due_dates, amounts)
            print(f"auto-debit instructions for {per_loan} days in {time.perf_counter() - t0:.1f}s")
        connection.close()
        print(
            f"generated {len(loan_ids)} loans ({len(loan_ids) * term} schedule rows, funding "
            f"entries) in {t_gen:.1f}s"
        )
        queue: mp.Queue = mp.get_context("fork").Queue()
        ctx = mp.get_context("fork")
        procs = [
            ctx.Process(
                target=worker,
                args=(
                    (
                        i,
                        options.workers,
                        loan_ids,
                        per_loan,
                        {"due_dates": due_dates, "amounts": amounts},
                        queue,
                        options.mode,
                        options.chunk,
                    ),
                ),
            )
            for i in range(options.workers)
        ]
        t1 = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - t1
        done = sum(r[1] for r in results)
        errors = sum(r[2] for r in results)
        print(
            f"{done} repayments posted by {options.workers} workers in {elapsed:.1f}s: "
            f"{done / elapsed:.0f} postings/s ({errors} errors); "
            f"load average {os.getloadavg()[0]:.1f} at the end"
        )
        worker_seconds = sum(r[3] for r in results)
        how = (
            f"{max(r[5] for r in results)} SQL statements for a chunk of {options.chunk} "
            f"(BEGIN and COMMIT included)"
            if options.mode == "batch"
            else f"{max(r[5] for r in results)} SQL statements (BEGIN and COMMIT included)"
        )
        print(
            f"mode {options.mode}: per posting {1000 * worker_seconds / max(done, 1):.2f} ms in a "
            f"worker ({1000 * sum(r[4] for r in results) / max(done, 1):.2f} ms of it worker "
            f"CPU), {how}"
        )
        tb = trial_balance()
        posted = Repayment.objects.count()
        entries = JournalEntry.objects.filter(source_type="repayment").count()
        sample = loan_ids[:: max(1, len(loan_ids) // 200)]
        mismatched = 0
        from servicing.models.loans import Loan

        for loan in Loan.objects.filter(pk__in=sample):
            figures = loan_figures(loan=loan)
            balances = loan_balances(loan_id=loan.pk)
            if any(balances.get(code, Decimal("0.00")) != v for code, v in figures.items()):
                mismatched += 1
        print(
            f"trial balance total {tb.total} (debit {tb.debit}, credit {tb.credit}); "
            f"repayments {posted}, repayment entries {entries}; "
            f"{len(sample)} sampled loans, {mismatched} not matching their ledger"
        )
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        ok = tb.total == 0 and posted == done == entries and mismatched == 0 and errors == 0
        print("OK" if ok else "FAILED")
        connection.close()
        if not ok:
            raise SystemExit(1)  # a broken invariant, not a missed target: the run failed
    finally:
        if not options.keep:
            db_drop(BENCH_DB)


if __name__ == "__main__":
    main()
