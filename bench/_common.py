"""Shared pieces of the API load benches (bench/intake.py, bench/decisions.py): a scratch
PostgreSQL database, the server's environment, gunicorn, and a keep-alive HTTP client that
fills in and submits one complete application through /api/v1/applications/.

Traffic goes to 127.0.0.1 only; every request has a timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the one nearest-rank percentile, shared with the batch's online-latency signal
from autofin.online_latency import percentile  # noqa: E402, F401
from origination.validators import id_number_check_char  # noqa: E402

# Benches drive the sandbox rails (payments, bank, bureau): they exist only with this flag, and
# the servers and workers the benches start inherit it.
os.environ.setdefault("AUTOFIN_SANDBOX", "1")

PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
DOCS = ("id_front", "id_back", "driving_licence", "income_proof", "invoice")
ID_NUMBER = "31011519900517123" + id_number_check_char("31011519900517123")
CONSENT_KINDS = ["credit_bureau", "sensitive_info", "automated_decision"]
# The optional income-verification consents (one per data source; risk.adapters.INCOME_SOURCES).
INCOME_CONSENT_KINDS = ["income_social", "income_tax", "income_bank"]


def png_tagged(tag: str) -> bytes:
    """The 1×1 PNG with a tEXt chunk carrying ``tag``: a valid image with its own SHA-256 (so
    the anti-fraud check does not see one document reused by every application)."""
    import struct
    import zlib

    data = b"bench\x00" + tag.encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    iend = PNG.rindex(b"\x00\x00\x00\x00IEND")
    return PNG[:iend] + chunk + PNG[iend:]


def id_number_for(n: int) -> str:
    """A valid resident ID number (born 1990-05-17 in 310115) with sequence ``n % 1000``."""
    first17 = f"31011519900517{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


# --- the scratch databases of the in-process benches (eod, ledger, repayments, ...) -------------


def server_url() -> str:
    """The PostgreSQL server the benches use: DATABASE_URL, else the local one."""
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/autofin")


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin_execute(sql: str) -> None:
    """Run one statement (CREATE / DROP DATABASE) on the server's `postgres` database."""
    import psycopg2

    conn = psycopg2.connect(with_db(server_url(), "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


# --- database and processes -----------------------------------------------------------------


def db_name(base: str) -> str:
    """The scratch database's name: ``base`` after $BENCH_DB_PREFIX, so a CI run and a person
    benching on the same server never drop each other's database."""
    return os.environ.get("BENCH_DB_PREFIX", "") + base


def migrations_digest() -> str:
    """A digest of every migration file: a template made from other migrations is never reused."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _database_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def database_exists(name: str) -> bool:
    """Whether the server has a database `name` (on a connection of its own)."""
    import psycopg2

    conn = psycopg2.connect(with_db(server_url(), "postgres"))
    try:
        with conn.cursor() as cursor:
            return _database_exists(cursor, name)
    finally:
        conn.close()


def scratch_database(name: str) -> str:
    """Drop and re-create ``name`` as a copy of a migrated template; return its URL.

    The template (``bench_tpl_<digest of the migration files>``) is migrated once, the first time
    any bench needs it; after that a bench's database costs a file copy (seconds), not a migrate.
    An advisory lock serialises the benches that start together, and the template is migrated
    under a temporary name and renamed when complete, so a killed migrate leaves no half-built
    template behind."""
    import psycopg2

    template = f"bench_tpl_{migrations_digest()}"
    conn = psycopg2.connect(with_db(server_url(), "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext('autofin bench template'))")
            if not _database_exists(cursor, template):
                building = f"{template}_building"
                cursor.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{building}"')
                env = {**os.environ, "DATABASE_URL": with_db(server_url(), building)}
                env.pop("TESTING", None)
                env.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
                subprocess.run(
                    [PY, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        conn.close()
    return with_db(server_url(), name)


def db_drop(name: str) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def env_for(db_url: str, media: str, redis_url: str | None = None) -> dict:
    """The server's (and workers') environment: DEBUG=0, HTTPS=0, not TESTING."""
    env = dict(os.environ)
    redis_url = redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
    env.update(
        DATABASE_URL=db_url,
        DEBUG="0",
        HTTPS="0",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        PRIVATE_MEDIA_ROOT=media,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="autofin.settings",
    )
    env.pop("TESTING", None)
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def django_run(env: dict, code: str, *args: str) -> str:
    """Run ``code`` after django.setup() in a child process; return its last stdout line."""
    out = subprocess.run(
        [PY, "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def gunicorn_start(env: dict, *, port: int, workers: int, threads: int | None = None):
    """Start gunicorn on 127.0.0.1:``port`` and wait for /healthz; return (process, argv).
    It runs in the checkout and so reads its gunicorn.conf.py (the worker class and threads
    production uses); ``threads`` overrides the threads (1: sync workers)."""
    cmd = [GUNICORN, "autofin.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    cmd += ["--log-level", "warning"]
    if threads is not None:
        cmd += ["--threads", str(threads)] + (["--worker-class", "sync"] if threads == 1 else [])
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return server, cmd
        except OSError:
            time.sleep(0.2)
    server.terminate()
    server.wait(timeout=20)
    raise RuntimeError("gunicorn did not start")


def gunicorn_stop(server: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM: requests in hand finish), SIGKILL after 60 s: a loaded machine
    must not leave the bench's Celery workers and database behind on a TimeoutExpired."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


def gunicorn_workers_kind(threads: int | None) -> str:
    """How the started gunicorn's workers run, for the benches' set-up line."""
    if threads is None:
        return "workers and threads from gunicorn.conf.py, as in production"
    return "sync workers" if threads == 1 else f"gthread workers, {threads} threads"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min)"


# --- the API client -------------------------------------------------------------------------


class ApiError(RuntimeError):
    pass


class ApiClient:
    """One keep-alive connection with token auth; latencies per request kind go to ``stats``."""

    def __init__(self, port: int, token: str, stats: dict, lock: threading.Lock):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.auth = f"Token {token}"
        self.stats = stats
        self.lock = lock
        self.errors: list[str] = []

    def reset(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

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
            raise ApiError(kind)
        return json.loads(payload) if payload else {}

    @staticmethod
    def multipart(fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
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

    def application_fill(
        self,
        *,
        model: str,
        id_number: str = ID_NUMBER,
        mobile: str = "13812345678",
        name: str = "王小明",
        income: str = "25000.00",
        unique_documents: bool = False,
        consents: list[str] | None = None,
    ) -> str:
        """create (step 1) -> applicants -> items -> the five documents -> consents; returns
        the application's API path. ``unique_documents``: each file differs (a tEXt chunk)."""
        app = self.call(
            "create",
            "POST",
            "/api/v1/applications/",
            {
                "product": "intake-new-std",
                "vehicle_brand": "比亚迪",
                "vehicle_model": model,
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
                    "name": name,
                    "id_number": id_number,
                    "birth_date": "1990-05-17",
                    "mobile": mobile,
                    "address": "上海市浦东新区张江路 100 号",
                    "monthly_income": income,
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
                        "payee_name": "中国平安财产保险股份有限公司",
                    }
                ],
            },
        )
        for kind in DOCS:
            content = png_tagged(f"{base}{kind}") if unique_documents else PNG
            body, ctype = self.multipart({"doc_kind": kind}, f"{kind}.png", content)
            self.call("upload", "POST", base + "documents/", body, {"Content-Type": ctype})
        kinds = consents or CONSENT_KINDS
        self.call("consents", "PATCH", base, {"step": "consents", "kinds": kinds})
        return base

    def application_submit(self, base: str) -> dict:
        result = self.call(
            "submit", "POST", base + "submit/", b"", {"Idempotency-Key": uuid.uuid4().hex}
        )
        if result.get("status") != "submitted":
            self.errors.append(f"submit status {result.get('status')}")
        return result

    def application_status(self, base: str, *, wait: float = 0) -> dict:
        """The status; ``wait``: while the decision is to come, the server answers when it
        comes or after ``wait`` seconds (a long poll)."""
        return self.call("status", "GET", base + "status/" + (f"?wait={wait:g}" if wait else ""))


def print_request_table(stats: dict[str, list[float]], kinds: tuple[str, ...]) -> float | None:
    """p50/p95/max per request kind and overall; returns the overall p95 in ms."""
    print(f"{'request':<12}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    all_values: list[float] = []
    for kind in kinds:
        values = stats.get(kind, [])
        all_values += values
        if values:
            print(
                f"{kind:<12}{len(values):>8}{percentile(values, 0.5) * 1000:>10.1f}"
                f"{percentile(values, 0.95) * 1000:>10.1f}{max(values) * 1000:>10.1f}"
            )
    if not all_values:
        return None
    p95 = percentile(all_values, 0.95) * 1000
    print(
        f"{'all':<12}{len(all_values):>8}{percentile(all_values, 0.5) * 1000:>10.1f}{p95:>10.1f}"
        f"{max(all_values) * 1000:>10.1f}"
    )
    return p95


# --- CPU spent by the processes under test (load-independent figures) --------------------------


def workers_cpu(workers) -> float:
    """CPU seconds (user + system) the worker processes and their children have used."""
    import psutil

    total = 0.0
    for p in workers:
        try:
            proc = psutil.Process(p.pid)
            for q in [proc, *proc.children(recursive=True)]:
                times = q.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


class BackendCpu:
    """CPU seconds (user + system) the PostgreSQL backends of one database spend, sampled by
    their process titles ("postgres: ... <db> ...") every 0.2 s from a thread: a backend that
    exits between samples loses at most its last 0.2 s, so the figure is a floor."""

    def __init__(self, db: str) -> None:
        self.db, self.tick = f" {db} ", os.sysconf("SC_CLK_TCK")
        self.start: dict = {}
        self.last: dict = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> dict:
        seen = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                if not title.startswith("postgres:") or self.db not in title:
                    continue
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # (pid, start time): a pid reused by a later backend is another backend
            seen[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / self.tick
        return seen

    def _loop(self) -> None:
        while not self.stop.wait(0.2):
            self.last.update(self._sample())

    def begin(self) -> None:
        self.start = self._sample()
        self.last = dict(self.start)
        self.thread.start()

    def seconds(self) -> float:
        self.stop.set()
        self.thread.join()
        self.last.update(self._sample())
        return sum(v - self.start.get(k, 0.0) for k, v in self.last.items())
