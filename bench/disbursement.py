"""Disbursement throughput against a sandbox bank that behaves like a remote one, and the
never-pay-twice checks, through real Celery workers.

    .venv/bin/python bench/disbursement.py [--count 600] [--workers 2] [--pool threads]
        [--concurrency 16] [--latency-ms 200] [--timeout-rate 0.01] [--rate 0] [--releasers 4]
        [--keep]

Creates a scratch database `autofin_bench_disb` (on the server of DATABASE_URL, after
$BENCH_DB_PREFIX) and uses a scratch Redis db (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/9, flushed first); starts `celery -A autofin worker -P <pool> -c
<concurrency>` x --workers with the sandbox bank made realistic by its settings: every send and
status call takes --latency-ms, and --timeout-rate of first sends time out, half after the bank
executed the payment and half before it saw it (SANDBOX_BANK_LATENCY_MS,
SANDBOX_BANK_TIMEOUT_RATE; docs/integrations.md). A timed-out send is asked about by key
DISBURSEMENT_TIMEOUT_RECHECK_SECONDS later by the workers; the sweep (disbursement_recover) also
runs here every 5 s for attempts older than --recover-after seconds.

Makes --count signed contracts through origination's services (the tests' loan factory; not
measured), prepares their disbursements with 4 payees each (the car to the seller, purchase tax,
insurance and warranty to the register's payees), then releases them from --releasers threads at
--rate per second in all (0: as fast as they go) and waits until every one is funded. Prints, each with the load
average: releases/s sustained (funded / first release → last funded), release → all payees paid
p50/p95/max (target p95 ≤ 60 s), bank round trips (a release's batch is one; the sandbox counts
them, SANDBOX_BANK_COUNT_CALLS) with the payments sent and status queries, timeouts injected and
settled by the bank's status, CPU per release (workers, this process, and PostgreSQL's backends
sampled by their process titles), a release's wall time in its releasing thread against the
thread's own CPU, the workers' peak RSS. Checks (exit 1 if any fails): bank payments
per key and per instruction (never two), every instruction paid, Σ instructions == amount financed
per disbursement, trial balance zero, bank clearing == −Σ amounts financed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import subprocess
import sys
import threading
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


from _common import (  # noqa: E402
    BackendCpu,
    db_drop,
    db_name,
    load_average,
    percentile,
    scratch_database,
    workers_cpu,
)

BENCH_DB = db_name("autofin_bench_disb")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", choices=["threads", "prefork"], default="threads")
    parser.add_argument("--concurrency", type=int, default=16, help="per worker process")
    parser.add_argument("--latency-ms", type=int, default=200, help="per bank call")
    parser.add_argument("--timeout-rate", type=float, default=0.01, help="of first sends")
    parser.add_argument("--rate", type=float, default=0, help="releases/s (0: unpaced)")
    parser.add_argument("--releasers", type=int, default=4, help="threads releasing at once")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--recover-after", type=int, default=60, help="seconds (beat's sweep)")
    args = parser.parse_args()
    print(f"setup: {args.count} disbursements x 4 payees; {args.workers} workers x "
          f"{args.pool} concurrency {args.concurrency}; bank {args.latency_ms} ms a call, "
          f"{args.timeout_rate:.1%} first-send timeouts; release rate "
          f"{args.rate or 'unpaced'} by {args.releasers} releasing threads; load average {load_average()}", flush=True)  # fmt: skip

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    db_url = scratch_database(BENCH_DB)
    os.environ.update(
        DATABASE_URL=db_url, REDIS_URL=redis_url, TESTING="0", CONN_MAX_AGE="0",
        DJANGO_SETTINGS_MODULE="autofin.settings",
        DISBURSEMENT_DISPATCH="celery", SANDBOX_BANK_CALLBACKS="celery",
        SANDBOX_BANK_LATENCY_MS=str(args.latency_ms),
        SANDBOX_BANK_TIMEOUT_RATE=str(args.timeout_rate), SANDBOX_BANK_COUNT_CALLS="1",
    )  # fmt: skip
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    import django

    django.setup()
    from django.conf import settings

    # The generated customers never log in: hashing their passwords with the production hasher
    # (about a second of CPU each) would only make the unmeasured setup slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    workers = []
    log_dir = Path("/tmp") / "bench_disb_logs"
    log_dir.mkdir(exist_ok=True)
    # the workers keep their connections like production's default (one per thread), unlike
    # this process, which opens and closes them around its sweeps
    env = {**os.environ, "CONN_MAX_AGE": "60"}
    for n in range(args.workers):
        log = (log_dir / f"worker{n}.log").open("w")
        workers.append(
            subprocess.Popen(  # noqa: S603
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "autofin",
                    "worker",
                    "-P",
                    args.pool,
                    "-c",
                    str(args.concurrency),
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


def rss_mb(pid: int, field: str = "VmRSS") -> int:
    """A process's VmRSS or VmHWM (its peak) in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def workers_rss(workers) -> int:
    """The RSS (kB) of every worker process and its children (a prefork pool's processes)."""
    import psutil

    total = 0
    for p in workers:
        try:
            proc = psutil.Process(p.pid)
            total += sum(q.memory_info().rss for q in [proc, *proc.children(recursive=True)])
        except psutil.Error:
            continue
    return total // 1024


def run(args, workers) -> None:
    from django.db import connection
    from django.db.models import Count, Min, Sum

    from autofin.business_date import business_date_set
    from autofin.roles import Role
    from origination.seed.payees import payees_register
    from servicing.gateway.sandbox_bank import SandboxBank
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
            # the car and the three add-ons: four payees per disbursement
            kinds = sorted(add_ons)
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

    print(f"load average before releasing: {load_average()}", flush=True)
    t1 = time.perf_counter()
    cpu0, own0 = workers_cpu(workers), sum(os.times()[:2])
    backends = BackendCpu(BENCH_DB)
    backends.begin()
    peak = {"rss": 0}
    recovered = 0
    last_recover = time.time()

    def between_releases() -> None:
        nonlocal recovered, last_recover
        if any(p.poll() is not None for p in workers):
            raise SystemExit("a worker died; see /tmp/bench_disb_logs")
        peak["rss"] = max(peak["rss"], workers_rss(workers))
        if time.time() - last_recover > 5:
            result = disbursement_recover(older_than_seconds=args.recover_after)
            recovered += result["attempts"]
            last_recover = time.time()

    errors: list = []
    # per releasing thread: wall seconds inside disbursement_approve and the thread's own CPU
    # there (time.thread_time), to tell a release waiting (for a core, the GIL, a lock, the
    # database) from one computing
    spent = [[0.0, 0.0] for _k in range(args.releasers)]

    def releaser(k: int) -> None:
        # several checkers releasing at once, as from the workbench; the n-th release is due at
        # n / rate seconds, whatever the previous ones cost
        try:
            for n in range(k, len(ids), args.releasers):
                w, c = time.perf_counter(), time.thread_time()
                disbursement_approve(disbursement_id=ids[n], actor=checker)
                spent[k][0] += time.perf_counter() - w
                spent[k][1] += time.thread_time() - c
                wait = t1 + (n + 1) / args.rate - time.perf_counter() if args.rate else 0
                if wait > 0:
                    time.sleep(wait)
        except Exception as exc:  # noqa: BLE001 - reported below, the bench then fails
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=releaser, args=(k,)) for k in range(args.releasers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        between_releases()
        time.sleep(0.25)
    if errors:
        raise SystemExit(f"a release failed: {errors[0]!r}")
    t_released = time.perf_counter()
    print(f"released (approved, sends enqueued on commit) in {t_released - t1:.1f} s "
          f"({len(ids) / (t_released - t1):.1f} releases/s); load average {load_average()}",
          flush=True)  # fmt: skip
    wall, own = sum(w for w, _c in spent), sum(c for _w, c in spent)
    print(f"a release in its thread: {wall / len(ids) * 1000:.0f} ms wall, of which "
          f"{own / len(ids) * 1000:.0f} ms the thread's own CPU; the rest waits (for a core, "
          f"the GIL, the database)", flush=True)  # fmt: skip

    deadline = time.time() + 1800
    while True:
        funded = Disbursement.objects.filter(status="funded").count()
        if funded == len(ids) or time.time() > deadline:
            break
        between_releases()
        time.sleep(0.25)
    peak["rss"] = max(peak["rss"], workers_rss(workers))
    elapsed = time.perf_counter() - t1
    cpu_workers, cpu_own = workers_cpu(workers) - cpu0, sum(os.times()[:2]) - own0
    cpu_db = backends.seconds()
    spans = Disbursement.objects.filter(status="funded").values_list("released_at", "funded_at")
    first_release = Disbursement.objects.aggregate(m=Min("released_at"))["m"]
    last_funded = max((f for _r, f in spans), default=first_release)
    window = (last_funded - first_release).total_seconds() if spans else elapsed
    latencies = [(f - r).total_seconds() for r, f in spans]
    print(f"funded {funded}/{len(ids)} in {elapsed:.1f} s from the first release: "
          f"{funded / elapsed:.1f} disbursements/s, {payments / elapsed:.1f} payments/s "
          f"with {len(workers)} worker processes; attempts settled by the sweep: {recovered}")  # fmt: skip
    print(f"releases/s sustained (funded / first release -> last funded, {window:.1f} s): "
          f"{funded / window:.1f} (target >= 20); load average {load_average()}")  # fmt: skip
    p95 = percentile(latencies, 0.95)
    print(f"release -> all payees paid: p50 {percentile(latencies, 0.5):.1f} s, p95 {p95:.1f} s, "
          f"max {max(latencies, default=float('nan')):.1f} s (target p95 <= 60 s)")  # fmt: skip
    # what a release costs in CPU, whatever the machine's load: the ceiling on idle cores
    per = (cpu_workers + cpu_own) / max(funded, 1)
    per_db = cpu_db / max(funded, 1)
    print(f"CPU per release: workers {cpu_workers / max(funded, 1) * 1000:.0f} ms, releasing "
          f"process {cpu_own / max(funded, 1) * 1000:.0f} ms, PostgreSQL backends "
          f"{per_db * 1000:.0f} ms (sampled, a floor): at most {2 / per:.1f} releases/s on 2 "
          f"idle cores without the database, {2 / (per + per_db):.1f} with it")  # fmt: skip
    rss = [f"{rss_mb(p.pid, 'VmHWM')} MB" for p in workers]
    print(f"workers' peak RSS: {', '.join(rss)} (main process high-water mark each); "
          f"sampled peak of all worker processes together: {peak['rss'] / 1024:.0f} MB")  # fmt: skip

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
    sends = SandboxBankPayment.objects.aggregate(s=Sum("sends"))["s"] or 0
    queries = PaymentAttempt.objects.aggregate(s=Sum("status_queries"))["s"] or 0
    keys = SandboxBankPayment.objects.values_list("idempotency_key", "status")
    injected = {"after": 0, "before": 0}
    settled = 0
    for key, status in keys:
        how = SandboxBank.timeout_for(key)
        if how:
            injected[how] += 1
            settled += status == "succeeded"
    by_status = PaymentAttempt.objects.filter(status="succeeded", status_queries__gt=0).count()
    from django.core.cache import cache

    from servicing.gateway.sandbox_bank import CALLS_KEY

    calls = cache.get(CALLS_KEY) or 0
    print(f"bank calls: {calls} round trips ({calls / max(elapsed, 1e-9):.1f} calls/s) for "
          f"{payments} payments: {sends} payments sent (a resend counted) + {queries} status "
          f"queries; timeouts injected: "
          f"{injected['after']} after the bank paid, {injected['before']} before it saw the "
          f"request; all paid once: {settled}/{sum(injected.values())}; attempts settled after "
          f"a status query: {by_status}")  # fmt: skip
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
    print(f"load average at end {load_average()}")
    print("RESULT:", "OK" if ok else "FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
