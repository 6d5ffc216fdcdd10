"""Application intake end to end through the REST API against a real gunicorn server.

    .venv/bin/python bench/intake.py [--clients 20] [--seconds 40] [--workers 2]

Creates a scratch PostgreSQL database (``bench_intake``, or $BENCH_DB; dropped first), migrates
it, seeds the intake products and one customer per client (token auth), starts gunicorn
(``-w 2``, DEBUG=0, HTTPS=0) on 127.0.0.1, then runs ``--clients`` closed-loop clients for
``--seconds``. Each loop is one complete application: create (step 1) -> applicants -> items ->
five small PNG documents (the required set) -> consents -> submit (Idempotency-Key) -> status.
Prints the setup, completed submissions per second and p50/p95/max latency per request kind;
any non-2xx response counts as an error. Traffic goes to 127.0.0.1 only; every loop is bounded
in time. The scratch database is left in place for inspection (``--drop`` drops it).

The decision task is queued to Redis (db 6 by default, REDIS_URL) and not consumed: this
measures intake, not risk (bench/decisions.py measures submit -> decision with real workers).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ApiClient,
    db_drop,
    db_name,
    django_run,
    env_for,
    gunicorn_start,
    gunicorn_stop,
    gunicorn_workers_kind,
    load_average,
    print_request_table,
    scratch_database,
)

DB_NAME = os.environ.get("BENCH_DB", db_name("bench_intake"))
KINDS = ("create", "applicants", "items", "upload", "consents", "submit", "status")

SEED = r"""
import datetime as dt, io, json, sys
from autofin.business_date import business_date_set
from autofin.models import User
from autofin.roles import Role, user_role_grant
from origination.models import RegulatoryLimits
from origination.seed.applications import intake_products_ensure
from rest_framework.authtoken.models import Token
business_date_set(actor="bench", date=dt.date(2026, 3, 16), reason="bench")
RegulatoryLimits.objects.get_or_create(pk=1)
intake_products_ensure(actor="bench")
# contracts name payees from the register (maker-checked): the demo's insurers and others
from origination.seed.payees import payees_register
payees_register(stdout=io.StringIO(), context={})
tokens = []
for i in range(int(sys.argv[1])):
    phone = f"1360000{i:04d}"
    user, _ = User.objects.get_or_create(username=phone, defaults={"phone": phone, "display_name": f"压测客户{i}"})
    user_role_grant(user=user, role=Role.CUSTOMER)
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print(json.dumps(tokens))
"""


def prepare(clients: int, media: str) -> tuple[dict, list[str]]:
    import json

    env = env_for(scratch_database(DB_NAME), media)
    return env, json.loads(django_run(env, SEED, str(clients)))


class Client(ApiClient):
    def __init__(self, port: int, token: str, index: int, deadline: float, stats, lock):
        super().__init__(port, token, stats, lock)
        self.index = index
        self.deadline = deadline
        self.done = 0

    def one_application(self, n: int) -> None:
        base = self.application_fill(model=f"汉 EV #{self.index}-{n}")
        self.application_submit(base)
        self.application_status(base)

    def run(self) -> None:
        n = 0
        while time.perf_counter() < self.deadline:
            try:
                self.one_application(n)
                self.done += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                if not self.errors or str(exc) not in self.errors[-1]:
                    self.errors.append(repr(exc))
                self.reset()
            n += 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="gunicorn threads per worker (1: sync workers; default: gunicorn.conf.py's)",
    )
    parser.add_argument("--drop", action="store_true", help="drop the scratch database at the end")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-intake-")
    print("preparing scratch database", DB_NAME, "...", flush=True)
    env, tokens = prepare(args.clients, media)
    load_start = load_average()
    server, cmd = gunicorn_start(env, port=args.port, workers=args.workers, threads=args.threads)
    try:
        print(
            f"server: gunicorn {' '.join(cmd[1:])} ({gunicorn_workers_kind(args.threads)}), "
            f"DEBUG=0 HTTPS=0, PostgreSQL {DB_NAME}, Redis {env['REDIS_URL']}"
        )
        print(
            f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; load: {args.clients} closed-loop clients (same "
            f"machine) for {args.seconds:.0f} s; load average at start {load_start}"
        )
        stats: dict[str, list[float]] = {}
        lock = threading.Lock()
        deadline = time.perf_counter() + args.seconds
        clients = [
            Client(args.port, tokens[i], i, deadline, stats, lock) for i in range(args.clients)
        ]
        threads = [threading.Thread(target=c.run) for c in clients]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 60)
        elapsed = time.perf_counter() - started
    finally:
        gunicorn_stop(server)
        if args.drop:
            db_drop(DB_NAME)
    done = sum(c.done for c in clients)
    errors = [e for c in clients for e in c.errors]
    requests = sum(len(v) for v in stats.values())
    print(
        f"\ncompleted applications: {done} in {elapsed:.1f} s = {done / elapsed:.2f} submissions/s"
        f"; {requests} requests = {requests / elapsed:.1f} req/s; errors: {len(errors)}"
    )
    p95 = print_request_table(stats, KINDS)
    if p95 is not None:
        met = p95 <= 300 and not errors
        print(f"target p95 <= 300 ms and no errors: {'MET' if met else 'NOT MET'}")
    print(f"load average at end {load_average()}")
    for e in errors[:5]:
        print("error:", e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
