"""POST /api/v1/quotes/ under a concurrent closed-loop client against gunicorn on PostgreSQL.

    .venv/bin/python bench/quotes.py [--requests 400] [--threads 8] [--workers 2]

The script prepares its own database (drops and recreates ``autofin_bench_quotes`` on the local
PostgreSQL, migrates, seeds the demo users and products), starts ``gunicorn autofin.wsgi`` with
DEBUG=0 HTTPS=0 on a free port, and runs ``--threads`` client threads, each sending its next
request only after the previous reply (closed loop). Requests rotate over products, terms, down
payments and methods; every one is a valid deal, so each reply is a 201 with a saved quote and a
full schedule. The client authenticates with a token (anonymous clients are throttled at
120/min). Prints the server setup, throughput and latency percentiles; the target is p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from _common import db_drop, db_name, percentile, scratch_database  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", db_name("autofin_bench_quotes"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")

DEALS = [
    ("new-std", "new", "personal", "200000.00", "0.30", 36, "equal_instalment", None),
    ("new-std", "new", "personal", "158800.00", "0.20", 60, "equal_principal", None),
    ("new-std", "new", "personal", "268000.00", "0.25", 48, "balloon", "0.30"),
    ("oem-zero", "new", "personal", "189900.00", "0.30", 24, "equal_instalment", None),
    ("nev-lease", "nev", "personal", "229900.00", "0.15", 60, "equal_instalment", None),
    ("used-loan", "used", "personal", "98000.00", "0.30", 36, "equal_instalment", None),
    ("comm-slb", "commercial", "commercial", "380000.00", "0.30", 36, "interest_only", None),
]


def body(i: int) -> bytes:
    code, kind, use, price, ratio, term, method, balloon = DEALS[i % len(DEALS)]
    data = {
        "product": code,
        "vehicle": {"kind": kind, "use": use, "price": price},
        "down_payment_ratio": ratio,
        "term_months": term,
        "method": method,
        "tier": "ABCD"[i % 4],
    }
    if balloon:
        data["balloon_ratio"] = balloon
    if kind == "used":
        data["vehicle"]["first_registration_date"] = "2023-05-18"
    return json.dumps(data).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(env: dict) -> str:
    python = str(ROOT / ".venv" / "bin" / "python")
    seed = (
        "import io, django; django.setup()\n"
        "from autofin.seed import users as a; from origination import seed as o\n"
        "from rest_framework.authtoken.models import Token\n"
        "ctx = {}; out = io.StringIO()\n"
        "a.seed(stdout=out, context=ctx); o.seed(stdout=out, context=ctx)\n"
        "from autofin.roles import Role\n"
        "print(Token.objects.get_or_create(user=ctx['users'][Role.PRODUCT_MANAGER])[0].key)\n"
    )
    out = subprocess.run(
        [python, "-c", seed], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/products/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def run_client(port: int, token: str, total: int, threads: int) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            payload = body(i)
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/quotes/", payload, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, statuses, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": scratch_database(DB_NAME),
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": "bench-quotes",
        "DEBUG": "0",
        "HTTPS": "0",
        "TESTING": "0",
        "AUTOFIN_SANDBOX": "1",  # the seed and the sandbox rails exist only with it
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "autofin.settings",
    }
    print(f"preparing database {DB_NAME} (copy of the migrated template + seed) …", flush=True)
    token = prepare_database(env)
    port = free_port()
    gunicorn = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "autofin.wsgi",
        "-w",
        str(args.workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    try:
        wait_ready(port)
        run_client(port, token, args.warmup, args.threads)
        latencies, statuses, wall = run_client(port, token, args.requests, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if not args.keep:
            db_drop(DB_NAME)

    ms = [x * 1000 for x in latencies]
    p95 = percentile(ms, 0.95)
    print()
    print(
        "server:   gunicorn autofin.wsgi (sync) -w",
        args.workers,
        f"on 127.0.0.1:{port}, DEBUG=0 HTTPS=0",
    )
    print(f"database: PostgreSQL {DB_NAME} (migrated + demo seed), cache/throttle Redis {REDIS}")
    print(
        f"host:     {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(f"client:   {args.threads} closed-loop threads, {args.requests} POST /api/v1/quotes/ "
          f"(after {args.warmup} warm-up), token-authenticated")  # fmt: skip
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"throughput: {len(ms) / wall:.1f} quotes/s over {wall:.2f} s")
    print(
        f"latency ms: mean {statistics.mean(ms):.1f}  p50 {percentile(ms, 0.50):.1f}  "
        f"p95 {p95:.1f}  p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}"
    )
    print(f"target p95 <= 50 ms: {'met' if p95 <= 50 else 'NOT met'}")
    if set(statuses) != {201}:
        sys.exit(1)


if __name__ == "__main__":
    main()
