"""Application intake end to end through the REST API against a real gunicorn server.

    .venv/bin/python bench/intake.py [--clients 20] [--seconds 40] [--workers 2]

Creates a scratch PostgreSQL database (``bench_intake``, dropped first), migrates it, seeds the
intake products and one customer per client (token auth), starts gunicorn (``-w 2``, DEBUG=0,
HTTPS=0) on 127.0.0.1, then runs ``--clients`` closed-loop clients for ``--seconds``. Each loop
is one complete application: create (step 1) -> applicants -> items -> five small PNG documents
(the required set) -> consents -> submit (Idempotency-Key) -> status. Prints the setup,
completed submissions per second and p50/p95/max latency per request kind; any non-2xx
response counts as an error. Traffic goes to 127.0.0.1 only; every loop is bounded in time.

The decision task is queued to Redis (db 6 by default, REDIS_URL) and not consumed: this
measures intake, not risk.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from origination.validators import id_number_check_char  # noqa: E402

ID_NUMBER = "31011519900517123" + id_number_check_char("31011519900517123")
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_NAME = "bench_intake"
PG = "postgres://postgres@127.0.0.1:5432"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
DOCS = ("id_front", "id_back", "driving_licence", "income_proof", "invoice")

SEED = r"""
import datetime as dt, json, sys
from autofin.business_date import business_date_set
from autofin.models import User
from autofin.roles import Role, user_role_grant
from origination.models import RegulatoryLimits
from origination.seed_applications import intake_products_ensure
from rest_framework.authtoken.models import Token
business_date_set(actor="bench", date=dt.date(2026, 3, 16), reason="bench")
RegulatoryLimits.objects.get_or_create(pk=1)
intake_products_ensure(actor="bench")
tokens = []
for i in range(int(sys.argv[1])):
    phone = f"1360000{i:04d}"
    user, _ = User.objects.get_or_create(username=phone, defaults={"phone": phone, "display_name": f"压测客户{i}"})
    user_role_grant(user=user, role=Role.CUSTOMER)
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print(json.dumps(tokens))
"""


def env_for(db_url: str, media: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DEBUG="0",
        HTTPS="0",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
        PRIVATE_MEDIA_ROOT=media,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="autofin.settings",
    )
    env.pop("TESTING", None)
    return env


def prepare(clients: int, media: str) -> tuple[dict, list[str]]:
    import psycopg2

    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()
    env = env_for(f"{PG}/{DB_NAME}", media)
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [PY, "-c", "import django; django.setup()\n" + SEED, str(clients)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return env, json.loads(out.stdout.strip().splitlines()[-1])


class Client:
    def __init__(self, port: int, token: str, index: int, deadline: float, stats, lock):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.auth = f"Token {token}"
        self.index = index
        self.deadline = deadline
        self.stats = stats
        self.lock = lock
        self.done = 0
        self.errors: list[str] = []

    def call(self, kind: str, method: str, path: str, body=None, headers=None) -> dict:
        hdrs = {"Authorization": self.auth, "Accept": "application/json", **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=hdrs)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.stats.setdefault(kind, []).append(elapsed)
        if not 200 <= response.status < 300:
            self.errors.append(f"{kind} {response.status} {payload[:200]!r}")
            raise RuntimeError(kind)
        return json.loads(payload) if payload else {}

    def multipart(self, fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            parts.append(f"{header}{value}\r\n".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"'
            f"\r\nContent-Type: image/png\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), f"multipart/form-data; boundary={boundary}"

    def one_application(self, n: int) -> None:
        app = self.call(
            "create",
            "POST",
            "/api/v1/applications/",
            {
                "product": "intake-new-std",
                "vehicle_brand": "比亚迪",
                "vehicle_model": f"汉 EV #{self.index}-{n}",
                "vehicle_kind": "new",
                "vehicle_use": "personal",
                "vehicle_price": "200000.00",
                "down_payment": "60000.00",
                "term_months": 36,
                "method": "equal_instalment",
            },
        )
        base = f"/api/v1/applications/{app['reference']}/"
        self.call(
            "applicants",
            "PATCH",
            base,
            {
                "step": "applicants",
                "primary": {
                    "name": "王小明",
                    "id_number": ID_NUMBER,
                    "birth_date": "1990-05-17",
                    "mobile": "13812345678",
                    "address": "上海市浦东新区张江路 100 号",
                    "monthly_income": "25000.00",
                },
            },
        )
        self.call(
            "items",
            "PATCH",
            base,
            {
                "step": "items",
                "car_payee_name": "上海某汽车销售有限公司",
                "items": [
                    {
                        "item_kind": "insurance",
                        "amount": "6000.00",
                        "payee_type": "insurer",
                        "payee_name": "平安财险",
                    }
                ],
            },
        )
        for kind in DOCS:
            body, ctype = self.multipart({"doc_kind": kind}, f"{kind}.png", PNG)
            self.call("upload", "POST", base + "documents/", body, {"Content-Type": ctype})
        self.call(
            "consents",
            "PATCH",
            base,
            {
                "step": "consents",
                "kinds": ["credit_bureau", "sensitive_info", "automated_decision"],
            },
        )
        result = self.call(
            "submit", "POST", base + "submit/", b"", {"Idempotency-Key": uuid.uuid4().hex}
        )
        if result.get("status") != "submitted":
            self.errors.append(f"submit status {result.get('status')}")
        self.call("status", "GET", base + "status/")

    def run(self) -> None:
        n = 0
        while time.perf_counter() < self.deadline:
            try:
                self.one_application(n)
                self.done += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                if not self.errors or str(exc) not in self.errors[-1]:
                    self.errors.append(repr(exc))
                self.conn.close()
            n += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (>1: gthread)"
    )
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-intake-")
    print("preparing scratch database", DB_NAME, "...", flush=True)
    env, tokens = prepare(args.clients, media)
    cmd = [
        GUNICORN,
        "autofin.wsgi",
        "-w",
        str(args.workers),
        "-b",
        f"127.0.0.1:{args.port}",
        "--log-level",
        "warning",
        "--threads",
        str(args.threads),
    ]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            print("server did not start", file=sys.stderr)
            return 1
        print(
            f"server: gunicorn {' '.join(cmd[1:])} ({'gthread' if args.threads > 1 else 'sync'} workers), DEBUG=0 HTTPS=0, "
            f"PostgreSQL {PG}/{DB_NAME}, Redis {env['REDIS_URL']}"
        )
        print(
            f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
            f"; load: {args.clients} closed-loop clients (same machine) for {args.seconds:.0f} s"
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
        server.terminate()
        server.wait(timeout=20)
    done = sum(c.done for c in clients)
    errors = [e for c in clients for e in c.errors]
    requests = sum(len(v) for v in stats.values())
    print(
        f"\ncompleted applications: {done} in {elapsed:.1f} s = {done / elapsed:.2f} submissions/s"
        f"; {requests} requests = {requests / elapsed:.1f} req/s; errors: {len(errors)}"
    )
    print(f"{'request':<12}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    all_values = []
    for kind in ("create", "applicants", "items", "upload", "consents", "submit", "status"):
        values = stats.get(kind, [])
        all_values += values
        if values:
            print(
                f"{kind:<12}{len(values):>8}{pct(values, 0.5) * 1000:>10.1f}"
                f"{pct(values, 0.95) * 1000:>10.1f}{max(values) * 1000:>10.1f}"
            )
    if all_values:
        p95 = pct(all_values, 0.95) * 1000
        print(
            f"{'all':<12}{len(all_values):>8}{pct(all_values, 0.5) * 1000:>10.1f}{p95:>10.1f}"
            f"{max(all_values) * 1000:>10.1f}"
        )
        met = p95 <= 300 and not errors
        print(f"target p95 <= 300 ms and no errors: {'MET' if met else 'NOT MET'}")
    for e in errors[:5]:
        print("error:", e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
