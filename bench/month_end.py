"""The month-end provision run (expected credit loss) at scale: N loans, set-based.

    .venv/bin/python bench/month_end.py [--loans 1000000] [--keep] [--reuse]
    tiny (CI smoke): .venv/bin/python bench/month_end.py --loans 2000

1. Creates a scratch database `autofin_bench_month_end` (BENCH_MONTH_END_DB; dropped at the end
   unless --keep; --reuse keeps a generated book) and generates the book of bench/eod.py
   (`generate`: N loans with schedules, one in thirteen 1–3 instalments behind).
2. Writes what the nightly batch would have left: each loan's delinquency (DPD from its oldest
   unpaid instalment; one loan in forty-one 120 DPD) and a snapshot a year back (the PD
   history's cohort; one loan in seventeen 31+ DPD then), all in SQL.
3. Times `provision_run_compute` (PD table, one INSERT … SELECT of every loan's ECL, totals),
   the posting (`provision_run_post`, four eyes off for the bench) and the report's queries,
   and prints the run's figures.
4. Times the credit-reporting feed (征信报送, servicing.services.credit_reporting.generate): the
   first-negative notices, then the monthly records of the whole book for the month before and
   for the bench's month (the second one builds its 24-month strings from the first), each one
   INSERT … SELECT; re-running the month writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault(
    "BENCH_EOD_DB", os.environ.get("BENCH_MONTH_END_DB", "autofin_bench_month_end")
)

import eod  # noqa: E402 - after the database name is chosen
from _common import admin_execute, scratch_database  # noqa: E402


def batch_state() -> None:
    """Delinquency as of the bench's date and a snapshot a year back, set-based."""
    from servicing import loan_rules

    as_of = eod.DAY
    eod.sql(
        f"""
        INSERT INTO servicing_loandelinquency
            (loan_id, dpd, bucket, classification, non_accrual, oldest_due_date, max_dpd, as_of)
        SELECT l.id, coalesce(%(d)s::date - o.oldest, 0),
               {loan_rules.bucket_sql("coalesce(%(d)s::date - o.oldest, 0)")},
               {loan_rules.classification_sql("coalesce(%(d)s::date - o.oldest, 0)")},
               {loan_rules.non_accrual_sql("coalesce(%(d)s::date - o.oldest, 0)")},
               o.oldest, coalesce(%(d)s::date - o.oldest, 0), %(d)s::date - 1
          FROM servicing_loan l
          LEFT JOIN (SELECT loan_id, min(due_date) AS oldest FROM servicing_loanschedulerow
                      WHERE status = 'overdue' GROUP BY loan_id) o ON o.loan_id = l.id
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"d": as_of},
    )
    eod.sql(
        """
        INSERT INTO servicing_loansnapshot
            (business_date, loan_id, status, principal_outstanding, dpd, bucket, classification,
             dealer_id, vintage, mob)
        SELECT %(h)s, l.id, 'active', l.amount_financed,
               CASE WHEN l.id %% 17 = 0 THEN 40 ELSE 0 END,
               CASE WHEN l.id %% 17 = 0 THEN 'M2' ELSE 'M0' END,
               CASE WHEN l.id %% 17 = 0 THEN 'special_mention' ELSE 'normal' END,
               NULL, date_trunc('month', l.value_date)::date, 0
          FROM servicing_loan l WHERE l.value_date <= %(h)s
        """,
        {"h": as_of - dt.timedelta(days=366)},
    )
    impaired = "120"  # one loan in forty-one: 次级 now, a default of last year's cohort
    eod.sql(
        f"""
        UPDATE servicing_loandelinquency
           SET dpd = {impaired}, max_dpd = {impaired}, bucket = {loan_rules.bucket_sql(impaired)},
               classification = {loan_rules.classification_sql(impaired)}, non_accrual = true
         WHERE loan_id % 41 = 0
        """  # noqa: S608 - SQL built from constants
    )
    eod.sql("ANALYZE servicing_loandelinquency")
    eod.sql("ANALYZE servicing_loansnapshot")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep an already generated book")
    args = parser.parse_args()
    if not args.reuse:
        scratch_database(eod.BENCH_DB)
    eod.setup_django()
    from autofin.business_date import business_date_set
    from autofin.policy import policy_set
    from servicing.models.loans import Loan
    from servicing.models.provisions import ProvisionRun
    from servicing.selectors.provisions import provision_report
    from servicing.services.provisions.compute import provision_run_compute
    from servicing.services.provisions.post import provision_run_post

    if not (args.reuse and Loan.objects.exists()):
        print(f"generating {args.loans:,} loans ...", flush=True)
        seconds = eod.generate(args.loans)
        batch_state()
        print(f"generated {args.loans:,} loans and the batch's state in {seconds:.0f} s")
    business_date_set(actor="bench", date=eod.DAY, reason="bench")
    as_of = eod.DAY - dt.timedelta(days=1)
    ProvisionRun.objects.filter(month=as_of.replace(day=1)).delete()
    if not _four_eyes_off():  # the bench times the posting itself, not a second person
        policy_set(key="four_eyes.provision_post", value="false",
                   effective_from=dt.date(2000, 1, 2), actor="bench", reason="bench")  # fmt: skip

    t = time.monotonic()
    run = provision_run_compute(as_of=as_of, actor="bench")
    compute_s = time.monotonic() - t
    t = time.monotonic()
    run = provision_run_post(run_id=run.pk, actor="bench")
    post_s = time.monotonic() - t
    t = time.monotonic()
    report = provision_report(run)
    report_s = time.monotonic() - t
    print(f"provision run: {run.loans:,} loans; compute {compute_s:.1f} s "
          f"({run.loans / compute_s:,.0f} loans/s), post {post_s:.1f} s, report {report_s:.1f} s")  # fmt: skip
    print(f"EAD {run.ead:,} ECL {run.ecl:,} movement {run.movement:,}; stages "
          + ", ".join(f"{s['stage']}: {s['loans']:,}" for s in report["stages"]))  # fmt: skip
    credit_reporting_feed(as_of)
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(f"DROP DATABASE IF EXISTS {eod.BENCH_DB} WITH (FORCE)")


def credit_reporting_feed(as_of: dt.date) -> None:
    from servicing.models.credit_reporting import CreditReportRecord
    from servicing.services.credit_reporting.generate import (
        month_end_records,
        negative_notices_queue,
    )
    from servicing.services.credit_reporting.submit import batch_for

    previous = as_of.replace(day=1) - dt.timedelta(days=1)
    # --reuse: the book's feed is written again from scratch
    CreditReportRecord.objects.filter(month__gte=previous.replace(day=1)).delete()
    t = time.monotonic()
    notices = negative_notices_queue(business_date=as_of)
    notice_s = time.monotonic() - t
    times = []
    for day in (previous, as_of):
        t = time.monotonic()
        written = month_end_records(
            batch_id=batch_for(kind="monthly", business_date=day).pk, business_date=day
        )
        times.append((day, written, time.monotonic() - t))
    t = time.monotonic()
    again = month_end_records(
        batch_id=batch_for(kind="monthly", business_date=as_of).pk, business_date=as_of
    )
    rerun_s = time.monotonic() - t
    for day, written, seconds in times:
        print(f"credit-reporting feed {day:%Y-%m}: {written:,} records in {seconds:.1f} s "
              f"({written / max(seconds, 0.001):,.0f} records/s)")  # fmt: skip
    strings = CreditReportRecord.objects.filter(month=as_of.replace(day=1)).values_list(
        "status_24m", flat=True
    )[:1]
    print(f"first-negative notices {notices:,} in {notice_s:.1f} s; re-run of the month wrote "
          f"{again} in {rerun_s:.1f} s; a 24-month string: {list(strings)}")  # fmt: skip


def _four_eyes_off() -> bool:
    from autofin.policy import policy_value

    return not policy_value("four_eyes.provision_post", on=eod.DAY)


if __name__ == "__main__":
    main()
