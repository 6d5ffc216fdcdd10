"""Disbursement throughput and the never-pay-twice checks, through real Celery workers.

    .venv/bin/python bench/disbursement.py [--count 1000] [--workers 2] [--keep]

Creates a scratch database `autofin_bench_disb` (on the server of DATABASE_URL) and uses a
scratch Redis db (BENCH_REDIS_URL, default redis://127.0.0.1:6379/9, flushed first); starts
`celery -A autofin worker -c 1` x --workers with DATABASE_URL/REDIS_URL pointing at them;
makes --count signed contracts through origination's services (the tests' loan factory; not
measured: about 2 s each), prepares their disbursements (the car to the seller and two or three
add-ons to the register's payees: 3-4 payees each), releases them all (the approvals enqueue the
sends on commit), and waits until every one is funded. The recovery task runs here every 5 s
for attempts older than --recover-after seconds (default 60), so the workers do the normal path
alone; the seller's and the register's accounts have no lost-answer tails, so recovery settles
nothing unless a worker stalls. Prints throughput, then checks: bank payments per key and per
instruction (never two), attempts per instruction, Σ instructions == amount financed per
disbursement, trial balance zero, bank clearing == −Σ amounts financed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = dt.date(2026, 3, 16)
# the add-ons the bench's product finances, each paid to its registered payee
FINANCED_ITEMS = [
    {"item_kind": "purchase_tax", "payee_type": "tax_authority", "cap_amount": None,
     "cap_ratio": "0.10"},
    {"item_kind": "insurance", "payee_type": "insurer", "cap_amount": "15000.00",
     "cap_ratio": None},
    {"item_kind": "warranty", "payee_type": "warranty_provider", "cap_amount": "8000.00",
     "cap_ratio": None},
]  # fmt: skip


from _common import db_drop, db_name, scratch_database  # noqa: E402

BENCH_DB = db_name("autofin_bench_disb")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--recover-after", type=int, default=60, help="seconds (beat's sweep)")
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    db_url = scratch_database(BENCH_DB)
    os.environ.update(
        DATABASE_URL=db_url, REDIS_URL=redis_url, TESTING="0", CONN_MAX_AGE="0",
        DJANGO_SETTINGS_MODULE="autofin.settings",
    )  # fmt: skip
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    import django

    django.setup()

    workers = []
    log_dir = Path("/tmp") / "bench_disb_logs"
    log_dir.mkdir(exist_ok=True)
    env = {**os.environ}
    for n in range(args.workers):
        log = (log_dir / f"worker{n}.log").open("w")
        workers.append(
            subprocess.Popen(  # noqa: S603
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "autofin",
                    "worker",
                    "-c",
                    "1",
                    "-n",
                    f"bench{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],  # fmt: skip
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        run(args, workers)
    finally:
        for p in workers:
            p.terminate()
        for p in workers:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        from django.db import connections

        from servicing.gateway.sandbox_bank import sandbox_bank_close_connections

        sandbox_bank_close_connections()
        connections.close_all()
        if not args.keep:
            db_drop(BENCH_DB)


def run(args, workers) -> None:
    from django.db import connection
    from django.db.models import Count, Sum

    from autofin.business_date import business_date_set
    from autofin.roles import Role
    from origination.seed.payees import payees_register
    from servicing.models.disbursement import (
        Disbursement,
        PaymentAttempt,
        PaymentInstruction,
        SandboxBankPayment,
    )
    from servicing.selectors.ledger import account_balance, trial_balance
    from servicing.services.disbursement.approve import disbursement_approve
    from servicing.services.disbursement.create import disbursement_prepare
    from servicing.tasks.disbursement import disbursement_recover
    from tests.factories import UserFactory
    from tests.servicing.loan_factory import (
        RULES,
        contract_signed_for,
        contracts_making,
        product_for,
    )

    rng = random.Random(8)
    business_date_set(actor="bench", date=DAY, reason="bench")
    # Funding reads the signed contract, so each disbursement is a real one: applied for,
    # approved, signed and checklisted by origination's services (the tests' loan factory, with
    # its PDF stand-in), its add-ons paid to the register's payees and the car to the seller.
    print(f"making {args.count} signed contracts (not measured) ...", flush=True)
    t_contracts = time.perf_counter()
    contracts = []
    with contracts_making() as cast:
        maker, checker = cast["maker"], cast["checker"]
        payees_register(
            stdout=io.StringIO(),
            context={"users": {Role.FINANCE_OPERATOR: maker, Role.FINANCE_APPROVER: checker}},
        )
        version = product_for(
            rate=Decimal("0.059"), term=36, method="equal_instalment", day_count="30/360",
            rules=RULES, financed_items=FINANCED_ITEMS,
        )  # fmt: skip
        for n in range(args.count):
            car = Decimal(rng.randint(50_000, 300_000))
            add_ons = {
                "insurance": {"amount": str(rng.randint(3_000, 12_000)), "payee_type": "insurer",
                              "payee_name": "中国平安财产保险股份有限公司"},
                "purchase_tax": {"amount": str((car / 14).quantize(Decimal("1"), ROUND_DOWN)),
                                 "payee_type": "tax_authority",
                                 "payee_name": "国家税务总局上海市税务局"},
                "warranty": {"amount": str(rng.randint(2_000, 6_000)),
                             "payee_type": "warranty_provider",
                             "payee_name": "安心汽车延保服务有限公司"},
            }  # fmt: skip
            # the car and two or three add-ons: three or four payees per disbursement
            kinds = rng.sample(sorted(add_ons), rng.randint(2, 3))
            contracts.append(
                contract_signed_for(
                    customer=UserFactory(roles=[Role.CUSTOMER], phone=f"139{n:08d}"),
                    version=version,
                    amount=car,
                    term=36,
                    method="equal_instalment",
                    items={k: add_ons[k] for k in kinds},
                    cast=cast,
                )  # fmt: skip
            )
    print(f"  made in {time.perf_counter() - t_contracts:.1f} s", flush=True)

    t0 = time.perf_counter()
    ids = [disbursement_prepare(contract_id=c.pk, actor=maker).pk for c in contracts]
    t_prepared = time.perf_counter()
    payments = PaymentInstruction.objects.count()
    print(f"prepared {len(ids)} disbursements, {payments} instructions "
          f"in {t_prepared - t0:.1f} s")  # fmt: skip

    t1 = time.perf_counter()
    for pk in ids:
        disbursement_approve(disbursement_id=pk, actor=checker)
    t_released = time.perf_counter()
    print(f"released (approved, sends enqueued on commit) in {t_released - t1:.1f} s "
          f"({len(ids) / (t_released - t1):.0f} releases/s)")  # fmt: skip

    deadline = time.time() + 1800
    last_recover = time.time()
    recovered = 0
    while True:
        funded = Disbursement.objects.filter(status="funded").count()
        if funded == len(ids) or time.time() > deadline:
            break
        if any(p.poll() is not None for p in workers):
            raise SystemExit("a worker died; see /tmp/bench_disb_logs")
        if time.time() - last_recover > 5:
            result = disbursement_recover(older_than_seconds=args.recover_after)
            recovered += result["attempts"]
            last_recover = time.time()
        time.sleep(0.25)
    t_done = time.perf_counter()
    elapsed = t_done - t1
    print(f"funded {funded}/{len(ids)} in {elapsed:.1f} s from the first release: "
          f"{funded / elapsed:.1f} disbursements/s, {payments / elapsed:.1f} payments/s "
          f"with {len(workers)} worker processes; attempts settled by recovery: {recovered}")  # fmt: skip

    # --- checks ---
    dup_keys = (
        SandboxBankPayment.objects.values("idempotency_key")
        .annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
              SELECT a.instruction_id FROM servicing_paymentattempt a
              JOIN servicing_sandboxbankpayment b ON b.idempotency_key = a.idempotency_key
              WHERE b.status = 'succeeded' GROUP BY a.instruction_id HAVING count(*) > 1) t
            """
        )
        dup_instr = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT count(*) FROM servicing_paymentinstruction i
            WHERE i.payee_kind <> 'lender' AND NOT EXISTS (
              SELECT 1 FROM servicing_paymentattempt a
              JOIN servicing_sandboxbankpayment b ON b.idempotency_key = a.idempotency_key
              WHERE a.instruction_id = i.id AND b.status = 'succeeded')
            """
        )
        unpaid = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT count(*) FROM servicing_disbursement d
            WHERE d.amount_financed <> (SELECT sum(amount) FROM servicing_paymentinstruction i
                                        WHERE i.disbursement_id = d.id)
            """
        )
        bad_sums = cursor.fetchone()[0]
    attempts = PaymentAttempt.objects.count()
    bank_rows = SandboxBankPayment.objects.count()
    bank_paid = SandboxBankPayment.objects.filter(status="succeeded").aggregate(s=Sum("amount"))[
        "s"
    ]
    financed = Disbursement.objects.aggregate(s=Sum("amount_financed"))["s"]
    tb = trial_balance()
    clearing = account_balance(account_code="bank_clearing")
    print(f"bank payments: {bank_rows} rows for {attempts} attempts / {payments} instructions; "
          f"keys paid more than once: {dup_keys}; instructions paid more than once: {dup_instr}; "
          f"instructions unpaid: {unpaid}")  # fmt: skip
    print(f"disbursements whose split != amount financed: {bad_sums}; "
          f"Σ amount financed {financed}; Σ paid at the bank {bank_paid}; "
          f"bank_clearing {clearing}; trial balance debit−credit {tb.total}")  # fmt: skip
    ok = (dup_keys == 0 and dup_instr == 0 and unpaid == 0 and bad_sums == 0 and tb.total == 0
          and funded == len(ids) and bank_paid == financed and clearing == -financed)  # fmt: skip
    print("RESULT:", "OK" if ok else "FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
