"""Disbursement throughput and the never-pay-twice checks, through real Celery workers.

    .venv/bin/python bench/disbursement.py [--count 1000] [--workers 2] [--keep]

Creates a scratch database `autofin_bench_disb` (on the server of DATABASE_URL) and uses a
scratch Redis db (BENCH_REDIS_URL, default redis://127.0.0.1:6379/9, flushed first); starts
`celery -A autofin worker -c 1` x --workers with DATABASE_URL/REDIS_URL pointing at them;
prepares --count disbursements of 3-5 payees each (facts built directly, not through the UI),
releases them all (the approvals enqueue the sends on commit), and waits until every one is
funded. About 2% of the dealers' accounts end 0002 (the bank's answer is lost: timeout) and 1%
end 0003 (the request is lost): the recovery task settles
them by asking the bank by key (the sweep runs here every 5 s for attempts older than
--recover-after seconds, default 60, so the workers do the normal path alone). Prints throughput, then checks: bank payments per key and per
instruction (never two), attempts per instruction, Σ instructions == amount financed per
disbursement, trial balance zero, bank clearing == −Σ amounts financed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = dt.date(2026, 3, 16)


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
    from dealers.models.dealers import Dealer, DealerStatus
    from dealers.seed import uscc_make
    from dealers.services import (
        agreement_create,
        bank_account_change_approve,
        bank_account_change_prepare,
    )
    from origination.services.payees import payee_change_approve, payee_change_prepare
    from servicing.models.disbursement import (
        Disbursement,
        PaymentAttempt,
        PaymentInstruction,
        SandboxBankPayment,
    )
    from servicing.selectors.ledger import account_balance, trial_balance
    from servicing.services.disbursement.approve import disbursement_approve
    from servicing.services.disbursement.create import disbursement_create
    from servicing.tasks.disbursement import disbursement_recover
    from tests.factories import UserFactory

    rng = random.Random(8)
    business_date_set(actor="bench", date=DAY, reason="bench")
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900000000")
    names = {}
    for kind, name, number in [
        ("insurer", "平安保险", "6222021002000456"),
        ("tax", "上海市税务局", "6222021003000789"),
        ("warranty", "安心延保", "6222021004000555"),
        ("accessory", "精品供应商", "6222021006000111"),
        ("gps", "北斗 GPS", "6222021005000666"),
    ]:
        change = payee_change_prepare(actor=maker, payee_type=kind, name=name, account_name=name,
                                      bank_name="工商银行", account_number=number)  # fmt: skip
        payee_change_approve(actor=checker, change_id=change.pk)
        names[kind] = name
    dealers = []
    for n in range(100):
        dealer = Dealer.objects.create(
            legal_name=f"基准测试汽车销售服务有限公司{n:03d}", uscc=uscc_make("310115", 5000 + n),
            dealer_type="four_s", province="上海市", city="上海市", status=DealerStatus.ACTIVE,
            contact_phone="13800138000",
        )  # fmt: skip
        tail = "0002" if n in (7, 57) else "0003" if n == 33 else f"{1000 + n:04d}"
        change = bank_account_change_prepare(actor=maker, dealer=dealer,
                                             account_name=dealer.legal_name, bank_name="招商银行",
                                             account_number=f"62220210{n:04d}{tail}")  # fmt: skip
        bank_account_change_approve(actor=checker, change_id=change.pk)
        agreement_create(actor="seed", dealer=dealer, product_line="new", commission_kind="percent",
                         commission_rate="0.01", effective_from=DAY - dt.timedelta(days=30))  # fmt: skip
        dealers.append(dealer)

    t0 = time.perf_counter()
    ids = []
    for n in range(args.count):
        dealer = dealers[n % len(dealers)]
        extra_kinds = rng.sample(["tax", "insurer", "warranty", "accessory", "gps"],
                                 rng.randint(2, 4))  # fmt: skip
        payees = [{"payee_type": "dealer", "name": dealer.legal_name,
                   "amount": Decimal(rng.randint(50_000, 300_000))}]  # fmt: skip
        for kind in extra_kinds:
            payees.append({"payee_type": kind, "name": names[kind],
                           "amount": Decimal(rng.randint(50_000, 2_000_000)) / 100})  # fmt: skip
        total = sum(p["amount"] for p in payees)
        facts = {
            "contract_id": 10_000 + n, "contract_ref": f"BENCH{n:05d}", "status": "signed",
            "application_id": None, "customer_user_id": customer.pk, "customer_name": "客户",
            "dealer_id": dealer.pk, "product_version_id": None, "product_rules": {},
            "product_line": "new", "amount_financed": total, "customer_rate": "0.059",
            "lender_rate": "0.059", "term_months": 36, "method": "equal_instalment",
            "day_count": "30/360", "balloon_amount": "0.00", "fees": [], "payees": payees,
            "collateral": {"vin": "", "brand": "大众", "model": "帕萨特"},
        }  # fmt: skip
        ids.append(disbursement_create(facts=facts, actor=maker).pk)
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
