"""The monthly book checks at scale: phone status and revaluation of N loans, set-based.

    .venv/bin/python bench/collateral_checks.py [--loans 200000] [--keep] [--reuse]
    tiny (CI smoke): .venv/bin/python bench/collateral_checks.py --tiny

1. Creates a scratch database (BENCH_COLLATERAL_DB, default $BENCH_DB_PREFIX +
   autofin_bench_collateral; dropped at the end unless --keep, --reuse keeps a generated book)
   and generates the book of bench/eod.py (`generate`: N loans with schedules), then, in SQL,
   one application per loan (new, used, nev and commercial cars in turn, the used ones 0-5
   years old with 0-150,000 km; price = amount / 0.8) and its primary applicant (one phone in
   fifty the sandbox's deactivated test number). The bench's applications point at no product
   (loaded with the foreign-key triggers off: the checks read only the car and the phone).
2. Times the month-end phone-status check (servicing.services.collateral_checks.phone, the
   sandbox phone adapter answering in batches of 1,000) and the revaluation (the month's index
   loaded once, then one INSERT … SELECT per chunk of EOD_CHUNK_SIZE loan ids), each chunk in
   its own transaction as the nightly batch runs it, then the re-run of both (nothing written).
3. Prints the figures and the extrapolation to 1,000,000 loans (linear: both are per-chunk
   statements over an id range).
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
from _common import admin_execute, db_name, scratch_database  # noqa: E402

os.environ.setdefault(
    "BENCH_EOD_DB", os.environ.get("BENCH_COLLATERAL_DB", db_name("autofin_bench_collateral"))
)

import eod  # noqa: E402 - after the database name is chosen

MONTH_END = dt.date(2026, 3, 31)
KINDS = ("new", "used", "nev", "commercial")


def _not_null_fill(table: str, given: dict[str, str]) -> tuple[str, str]:
    """The column list and SELECT expressions of an INSERT into `table`: `given` (column: SQL)
    and a neutral value for every other NOT NULL column without a default."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL"
            " AND is_identity = 'NO'",
            [table],
        )
        required = cursor.fetchall()
    neutral = {"boolean": "false", "date": "'2026-01-01'", "jsonb": "'[]'::jsonb"}
    columns = dict(given)
    for name, kind in required:
        if name in columns:
            continue
        if kind.startswith("timestamp"):
            columns[name] = "now()"
        elif kind in ("integer", "smallint", "bigint", "numeric"):
            columns[name] = "0"
        else:
            columns[name] = neutral.get(kind, "''")
    return ", ".join(columns), ", ".join(columns.values())


def applications_generate() -> None:
    from autofin.crypto import keyed_hash
    from risk.adapters import TEST_PHONE_DEACTIVATED

    kinds = "(ARRAY" + repr(list(KINDS)) + ")[1 + l.id % 4]"
    app_cols, app_values = _not_null_fill(
        "origination_application",
        {
            "id": "l.id",
            "reference": "'BA' || l.id",
            "channel": "'direct'",
            "status": "'draft'",  # the fewest constraints; the checks read no status
            "customer_key": "'bench' || l.id",
            "product_version_id": "1",
            "vehicle_brand": "'大众'",
            "vehicle_model": "'帕萨特'",
            "vehicle_kind": kinds,
            "vehicle_use": "'personal'",
            "vehicle_price": "ceil(l.amount_financed / 0.8)",
            "first_registration_date": "CASE WHEN l.id % 4 = 1"
            " THEN (l.value_date - make_interval(months => (l.id % 60)::int))::date END",
            "mileage_km": "CASE WHEN l.id % 4 = 1 THEN (l.id * 7) % 150000 END",
            "down_payment": "ceil(l.amount_financed / 0.8) - l.amount_financed",
            "term_months": "l.term_months",
            "method": "l.method",
        },
    )
    ap_cols, ap_values = _not_null_fill(
        "origination_applicant",
        {
            "application_id": "l.id",
            "role": "'primary'",
            "name": "'测试'",
            "id_number_hash": "md5('id' || l.id)",
            "mobile_hash": f"CASE WHEN l.id % 50 = 0 THEN '{keyed_hash(TEST_PHONE_DEACTIVATED)}'"
            " ELSE md5('phone' || l.id) END",
        },
    )
    eod.sql("SET session_replication_role = replica")  # no product: FK triggers off for the load
    eod.sql(
        f"INSERT INTO origination_application ({app_cols}) SELECT {app_values} FROM servicing_loan l"  # noqa: S608 - bench SQL from constants
    )
    eod.sql(
        f"INSERT INTO origination_applicant ({ap_cols}) SELECT {ap_values} FROM servicing_loan l"  # noqa: S608 - bench SQL from constants
    )
    eod.sql("SET session_replication_role = DEFAULT")
    eod.sql("UPDATE servicing_loan SET application_id = id")
    for table in ("origination_application", "origination_applicant", "servicing_loan"):
        eod.sql(f"VACUUM ANALYZE {table}")


def _chunked(fn, ranges) -> tuple[float, dict]:
    from django.db import transaction

    totals: dict = {}
    t = time.monotonic()
    for lo, hi in ranges:
        with transaction.atomic():
            eod.sql("SET LOCAL jit = off")  # as the batch runner runs a chunk
            for key, value in fn(lo=lo, hi=hi, business_date=MONTH_END).items():
                totals[key] = totals.get(key, 0) + value
    return time.monotonic() - t, totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=200_000)
    parser.add_argument("--tiny", action="store_true", help="CI smoke: 200 loans")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep an already generated book")
    args = parser.parse_args()
    n = 200 if args.tiny else args.loans
    if not args.reuse:
        scratch_database(eod.BENCH_DB)
    eod.setup_django()
    from servicing.eod.runner import loan_id_ranges
    from servicing.models.collateral_checks import (
        LoanExternalFacts,
        LoanValuation,
        VehiclePriceIndex,
    )
    from servicing.models.loans import Loan
    from servicing.services.collateral_checks.phone import phone_status_month
    from servicing.services.collateral_checks.revaluation import price_index_load, revalue_range

    if not (args.reuse and Loan.objects.exists()):
        print(f"generating {n:,} loans ...", flush=True)
        seconds = eod.generate(n)
        applications_generate()
        print(f"generated {n:,} loans with their applications in {seconds:.0f} s")
    LoanExternalFacts.objects.all().delete()  # --reuse: the month is checked again from scratch
    LoanValuation.objects.all().delete()
    VehiclePriceIndex.objects.all().delete()
    ranges = loan_id_ranges()

    phone_s, phone = _chunked(phone_status_month, ranges)
    t = time.monotonic()
    index_rows = price_index_load(month=MONTH_END.replace(day=1))
    index_s = time.monotonic() - t
    reval_s, reval = _chunked(revalue_range, ranges)
    phone_again_s, phone_again = _chunked(phone_status_month, ranges)
    reval_again_s, reval_again = _chunked(revalue_range, ranges)
    loans = Loan.objects.count()

    print(f"phone status: {phone['checked']:,} loans in {phone_s:.1f} s "
          f"({phone['checked'] / max(phone_s, 0.001):,.0f} loans/s), "
          f"{phone.get('deactivated', 0):,} deactivated")  # fmt: skip
    print(f"price index: {index_rows:,} rows in {index_s:.1f} s; revaluation: "
          f"{reval['valued']:,} loans in {reval_s:.1f} s "
          f"({reval['valued'] / max(reval_s, 0.001):,.0f} loans/s), {reval['ltv_high']:,} "
          f"above the LTV warning line")  # fmt: skip
    print(f"re-run of the month: phone checked {phone_again['checked']} in {phone_again_s:.1f} s, "
          f"revalued {reval_again['valued']} in {reval_again_s:.1f} s")  # fmt: skip
    scale = 1_000_000 / max(loans, 1)
    print(f"extrapolated to 1,000,000 loans: phone status {phone_s * scale:,.0f} s, "
          f"revaluation {reval_s * scale:,.0f} s")  # fmt: skip
    if phone["checked"] != loans or reval["valued"] != loans or phone_again["checked"]:
        print("FAILED: not every loan checked once", file=sys.stderr)
        sys.exit(1)
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(f"DROP DATABASE IF EXISTS {eod.BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
