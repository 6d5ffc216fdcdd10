"""Submit -> automated decision under load, through the REST API with real Celery workers.

    .venv/bin/python bench/decisions.py [--clients 20] [--seconds 40] [--workers 2]
                                        [--threads N] [--status-wait 10]
                                        [--celery-concurrency 4] [--keep]

Creates a scratch PostgreSQL database (``bench_decisions``, or $BENCH_DB; dropped first),
migrates it (the consent texts come with the migrations) and seeds it minimally: the business
date, the intake products, one active dealer, the default rule set and the demo scorecards and
strategies (``risk.seed``: one small scorecard per product line trained on synthetic rows), and
one customer per client (token auth). Then it purges the Celery queue on Redis ($REDIS_URL, db 6
by default), starts ``celery -A autofin worker -c 4`` and gunicorn (``-w 2``, threads from
gunicorn.conf.py as in production unless ``--threads``; DEBUG=0 HTTPS=0) on 127.0.0.1, and runs ``--clients`` closed-loop clients for ``--seconds``. Each loop is one
complete application (create -> applicants -> items -> five documents -> consents -> submit),
with its own ID number, mobile and income (nine in ten also authorise the three income data
sources, which the sandbox income verification answers by the ID's hash: 17 in 20 matched);
after the submit returns, the client asks
GET .../status/?wait=10 (the server answers when the decision is applied or after 10 s, as the
customer's app does; ``--status-wait 0``: plain polls every 50 ms, the bench before the long
poll) until the status leaves submitted/under_review and records the submit -> decision time
(from the submit's reply to the first status reply showing the decision). Target (issue #22):
p95 <= 500 ms.

Prints the server and worker setup, the load average at start and end, the number of
applications decided, p50/p95/max submit -> decision (and, on the server's clock, how long the
task waited for a worker and how long it ran: the rest is the polls' wait), the outcomes (decided
automatically: approved / declined / counter-offered; referred to an underwriter), the reason
codes of the stored decisions, the request latencies and any errors, the **approved bad rate**
on synthetic outcomes (below; counter-offers apart, at the offered instalment, and the S02 grey
zone as if approved) with its counts, and the CPU per decided application of the server, the
decision worker and the PostgreSQL backends (load-independent, unlike the latencies). At the end
it stops gunicorn and the worker (warm shutdown), purges the queue and drops the scratch
database (unless --keep).

Synthetic outcomes (known, so an automation gain can be checked against the bad rate): every
applicant has a latent outcome the engine never sees. Their true income is the declared one,
or half of it when the sandbox income verification would answer "below" for their ID (asked
for every applicant afterwards, consent or not: the truth exists whether or not the engine was
allowed to look). PD = 1 / (1 + exp(-(-3 + 4 x instalment / true income - (bureau score -
650) / 40))); the applicant is bad when a uniform draw from the application's reference is
below PD. The baseline is today's engine without income data: run with
``--income-consent-share 0``.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CELERY,
    CONSENT_KINDS,
    INCOME_CONSENT_KINDS,
    ROOT,
    ApiClient,
    ApiError,
    BackendCpu,
    db_drop,
    db_name,
    django_run,
    env_for,
    gunicorn_start,
    gunicorn_stop,
    gunicorn_workers_kind,
    id_number_for,
    load_average,
    percentile,
    print_request_table,
    scratch_database,
    workers_cpu,
)

DB_NAME = os.environ.get("BENCH_DB", db_name("bench_decisions"))
KINDS = ("create", "applicants", "items", "upload", "consents", "submit", "status")
PENDING = {"submitted", "under_review"}
AUTOMATIC = ("approved", "declined", "counter_offered")
POLL_SECONDS = 0.05
DECISION_TIMEOUT = 60.0

SEED = r"""
import datetime as dt, io, json, sys
from autofin.business_date import business_date_set
from autofin.models import User
from autofin.roles import Role, user_role_grant
from dealers.models.dealers import Dealer, DealerStatus
from dealers.seed import uscc_make
from origination.models import RegulatoryLimits
from origination.models.privacy import ConsentText
from origination.seed.applications import intake_products_ensure
from rest_framework.authtoken.models import Token
from risk import seed as risk_seed
business_date_set(actor="bench", date=dt.date(2026, 3, 16), reason="bench")
RegulatoryLimits.objects.get_or_create(pk=1)
assert ConsentText.objects.exists(), "the consent texts come from migration 0004"
intake_products_ensure(actor="bench")
# contracts name payees from the register (maker-checked): the demo's insurers and others
from origination.seed.payees import payees_register
payees_register(stdout=io.StringIO(), context={})
Dealer.objects.get_or_create(
    uscc=uscc_make("310115", 9901),
    defaults=dict(legal_name="压测汽车销售服务有限公司", dealer_type="four_s", province="上海市",
                  city="上海市", status=DealerStatus.ACTIVE),
)
risk_seed.seed(stdout=io.StringIO(), context={})
tokens = []
for i in range(int(sys.argv[1])):
    phone = f"1360000{i:04d}"
    user, _ = User.objects.get_or_create(username=phone, defaults={"phone": phone, "display_name": f"压测客户{i}"})
    user_role_grant(user=user, role=Role.CUSTOMER)
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print(json.dumps(tokens))
"""


class Client(ApiClient):
    income_consent_tenths = 9  # main() sets it from --income-consent-share
    status_wait = 10.0  # and this from --status-wait

    def __init__(self, port, token, index, deadline, stats, lock, counter):
        super().__init__(port, token, stats, lock)
        self.index = index
        self.deadline = deadline
        self.counter = counter
        self.decisions: list[tuple[float, str]] = []  # (seconds, status)

    def one_application(self) -> None:
        with self.lock:
            n = next(self.counter)
        base = self.application_fill(
            model=f"汉 EV #{self.index}-{n}",
            id_number=id_number_for(n),
            mobile=f"139{n:08d}",
            name=f"王{'一二三四五六七八九十'[n % 10]}明",
            income=f"{8000 + (n * 1700) % 30000}.00",
            unique_documents=True,
            # --income-consent-share of the customers also authorise the income data sources
            consents=CONSENT_KINDS
            + (INCOME_CONSENT_KINDS if n % 10 < self.income_consent_tenths else []),
        )
        self.application_submit(base)
        submitted = time.perf_counter()
        while True:
            payload = self.application_status(base, wait=self.status_wait)
            status = payload["status"]
            if status not in PENDING:
                self.decisions.append((time.perf_counter() - submitted, status))
                return
            if time.perf_counter() - submitted > DECISION_TIMEOUT:
                self.errors.append(f"no decision within {DECISION_TIMEOUT:.0f} s: {base}")
                return
            if not self.status_wait:
                time.sleep(POLL_SECONDS)

    def run(self) -> None:
        while time.perf_counter() < self.deadline:
            try:
                self.one_application()
            except Exception as exc:  # noqa: BLE001 - counted and reported
                if not isinstance(exc, ApiError):
                    self.errors.append(repr(exc))
                self.reset()
        self.conn.close()  # the server's stop need not wait for this kept-alive connection


def celery(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CELERY, "-A", "autofin", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, **kwargs,
    )  # fmt: skip


def worker_start(
    env: dict, *, concurrency: int, log_path: str, queue: str = "celery", nice: bool = False
) -> tuple[subprocess.Popen, list]:
    # ``nice``: at a lower CPU priority, as docker-compose.yml and `make run` start the worker
    cmd = (["nice", "-n", "10"] if nice else []) + [
        CELERY, "-A", "autofin", "worker", "-c", str(concurrency), "-P", "prefork",
        "-Q", queue, "-n", f"bench-{queue.split(',')[0]}-{os.getpid()}@%h", "--without-gossip",
        "--without-mingle", "--without-heartbeat", "--loglevel", "INFO", "--logfile", log_path,
    ]  # fmt: skip
    worker = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    if nice:
        # niced, it may take minutes to start on a loaded machine; nothing measured waits on it
        return worker, cmd
    deadline = time.time() + 90
    while time.time() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"celery worker exited with {worker.returncode}; see {log_path}")
        log = Path(log_path)
        if log.exists() and " ready." in log.read_text(errors="replace"):
            return worker, cmd
        time.sleep(0.3)
    worker_stop(worker)
    raise RuntimeError("celery worker did not become ready within 90 s")


def worker_stop(worker: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM: finish the tasks in hand), then SIGQUIT after 60 s."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGQUIT)
        worker.wait(timeout=20)


# After the run, in the scratch database: each decided application's figures and the truth
# about its income (the sandbox's answer for its ID, asked whether or not the engine could).
TRUTHS = r"""
import json
from decimal import Decimal
from origination.models import Application
from risk.adapters import SandboxIncome
from risk.models import Decision
rows = []
for d in Decision.objects.filter(outcome__in=["approve", "decline", "refer", "counter_offer"]):
    app = Application.objects.filter(reference=d.application_ref).first()
    primary = app and app.applicants.filter(role="primary").first()
    if not primary or not primary.monthly_income or not app.monthly_payment:
        continue
    truth = SandboxIncome().verify(id_hash=primary.id_number_hash, sources=["income_tax"],
                                   declared_monthly_income=primary.monthly_income)
    at = {e.to_status: e.created_at for e in app.events.filter(kind="status")}
    decided = at.get({"approve": "approved", "decline": "declined", "refer": "referred",
                      "counter_offer": "counter_offered"}[d.outcome])
    ms = lambda a, b: (b - a).total_seconds() * 1000 if a and b else None
    rows.append({"ref": app.reference, "outcome": d.outcome,
                 "instalment": str(app.monthly_payment), "income": str(primary.monthly_income),
                 "overstated": truth["income_tax"]["status"] == "below",
                 "reasons": [r["code"] for r in d.reasons],
                 "offered_instalment": (d.offer or {}).get("instalment"),
                 # submitted -> the task's start -> the decision applied, by the events' times
                 "queued_ms": ms(at.get("submitted"), at.get("under_review")),
                 "deciding_ms": ms(at.get("under_review"), decided),
                 "bureau_score": (d.inputs.get("bureau") or {}).get("bureau_score") or 650})
print(json.dumps(rows))
"""


def _is_bad(t: dict, instalment: str) -> bool:
    import hashlib
    import math

    income = float(t["income"]) * (0.5 if t["overstated"] else 1.0)
    logit = -3 + 4 * float(instalment) / income - (float(t["bureau_score"]) - 650) / 40
    pd = 1 / (1 + math.exp(-logit))
    draw = int(hashlib.sha256(t["ref"].encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return draw < pd


def approved_bad_rate(truths: list[dict]) -> str:
    """The bad rate of the approved (at the requested instalment) and, apart, of the
    counter-offered (at the offered instalment, as if every customer took the offer)."""
    parts = []
    groups = (("approve", "instalment"), ("counter_offer", "offered_instalment"))
    for outcome, key in groups:
        rows = [t for t in truths if t["outcome"] == outcome and t.get(key)]
        bad = sum(_is_bad(t, t[key]) for t in rows)
        rate = f"{bad / len(rows):.1%}" if rows else "n/a"
        parts.append(f"{outcome} {rate} ({bad} of {len(rows)})")
    # what the grey zone would bring if it were approved as asked (to judge S02's referral)
    grey = [t for t in truths if t["outcome"] == "refer" and t["reasons"] == ["S02_SCORE_REVIEW"]]
    bad = sum(_is_bad(t, t["instalment"]) for t in grey)
    rate = f"{bad / len(grey):.1%}" if grey else "n/a"
    parts.append(f"referred for S02 alone, if approved: {rate} ({bad} of {len(grey)})")
    return "approved bad rate (synthetic outcomes, see the docstring): " + "; ".join(parts)


def reason_counts(truths: list[dict], outcome: str = "") -> dict[str, int]:
    """How often each reason code appears on the decisions (of ``outcome``), most frequent
    first. From the stored decisions: the customer's timeline names no codes."""
    counts: dict[str, int] = {}
    for t in truths:
        if not outcome or t["outcome"] == outcome:
            for code in t["reasons"]:
                counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="gunicorn threads per worker (1: sync workers; default: gunicorn.conf.py's)",
    )
    parser.add_argument(
        "--status-wait",
        type=float,
        default=10,
        help="seconds each status request may wait for the decision (0: polls every 50 ms)",
    )
    parser.add_argument(
        "--celery-concurrency", type=int, default=4, help="as docker-compose.yml and make run"
    )
    parser.add_argument("--port", type=int, default=18767)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--income-consent-share",
        type=float,
        default=0.9,
        help="share of customers who authorise the income data sources (0: the baseline)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a smoke run (CI): exit non-zero only for errors or no decision, not a missed target",
    )
    args = parser.parse_args()
    Client.income_consent_tenths = round(args.income_consent_share * 10)
    Client.status_wait = args.status_wait

    media = tempfile.mkdtemp(prefix="bench-decisions-")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
    print(f"load average at start {load_average()}", flush=True)
    print(
        f"preparing scratch database {DB_NAME} (copy of the migrated template + minimal seed) ...",
        flush=True,
    )
    env = env_for(scratch_database(DB_NAME), media, redis_url)
    import json

    server = worker = documents_worker = contracts_worker = None
    clients: list[Client] = []
    stats: dict[str, list[float]] = {}
    elapsed = 0.0
    cpu: dict[str, float] = {}
    truths: list[dict] = []
    try:
        tokens = json.loads(django_run(env, SEED, str(args.clients)))
        purged = celery(env, "purge", "-f", "-Q", "celery,notifications,documents,contracts")
        print(f"queue purged: {(purged.stdout or purged.stderr).strip() or 'ok'}")
        # the decisions first, then the customers' messages, as `make run`'s main worker
        worker, worker_cmd = worker_start(
            env,
            concurrency=args.celery_concurrency,
            log_path=f"{media}/celery.log",
            queue="celery,notifications",
        )
        # The documents' OCR reads and the contracts of approved applications (niced) on their
        # own workers, as in `make run` and docker-compose.yml.
        documents_worker, _ = worker_start(
            env, concurrency=1, log_path=f"{media}/celery-documents.log", queue="documents"
        )
        contracts_worker, _ = worker_start(
            env,
            concurrency=1,
            log_path=f"{media}/celery-contracts.log",
            queue="contracts",
            nice=True,
        )
        server, cmd = gunicorn_start(
            env, port=args.port, workers=args.workers, threads=args.threads
        )
        print(
            f"server: gunicorn {' '.join(cmd[1:])} ({gunicorn_workers_kind(args.threads)}), "
            f"DEBUG=0 HTTPS=0, PostgreSQL {DB_NAME}; status requests "
            + (f"wait up to {args.status_wait:g} s" if args.status_wait else "every 50 ms")
        )
        print(f"worker: celery {' '.join(worker_cmd[1:4])} -c {args.celery_concurrency} "
              f"(prefork, prefetch 1, acks late), broker and results {redis_url}")  # fmt: skip
        print(
            f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; load: {args.clients} closed-loop clients (same "
            f"machine) for {args.seconds:.0f} s; load average now {load_average()}",
            flush=True,
        )
        lock = threading.Lock()
        counter = iter(range(1, 10**6))
        deadline = time.perf_counter() + args.seconds
        clients = [
            Client(args.port, tokens[i], i, deadline, stats, lock, counter)
            for i in range(args.clients)
        ]
        threads = [threading.Thread(target=c.run) for c in clients]
        backends = BackendCpu(DB_NAME)
        backends.begin()
        cpu0 = {
            "server": workers_cpu([server]),
            "worker": workers_cpu([worker]),
            "documents": workers_cpu([documents_worker, contracts_worker]),
        }
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + DECISION_TIMEOUT + 60)
        elapsed = time.perf_counter() - started
        cpu = {
            "server": workers_cpu([server]) - cpu0["server"],
            "worker": workers_cpu([worker]) - cpu0["worker"],
            "documents": workers_cpu([documents_worker, contracts_worker]) - cpu0["documents"],
            "postgres": backends.seconds(),
        }
    finally:
        if server is not None:
            gunicorn_stop(server)
        for w in (worker, documents_worker, contracts_worker):
            if w is not None:
                worker_stop(w)
        celery(env, "purge", "-f", "-Q", "celery,notifications,documents,contracts")
        truths = json.loads(django_run(env, TRUTHS)) if clients else []
        if not args.keep:
            db_drop(DB_NAME)
    decisions = [d for c in clients for d in c.decisions]
    errors = [e for c in clients for e in c.errors]
    print(
        f"\napplications decided: {len(decisions)} in {elapsed:.1f} s "
        f"({len(decisions) / elapsed if elapsed else 0:.2f}/s); errors: {len(errors)}"
    )
    met = False
    if decisions:
        seconds = [s for s, _status in decisions]
        p95 = percentile(seconds, 0.95)
        print(
            f"submit -> decision: p50 {percentile(seconds, 0.5) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
        )
        outcomes: dict[str, int] = {}
        for _s, status in decisions:
            outcomes[status] = outcomes.get(status, 0) + 1
        automatic = sum(outcomes.get(s, 0) for s in AUTOMATIC)
        print(
            f"outcomes: {dict(sorted(outcomes.items()))}; decided automatically "
            f"(approved/declined/counter-offered) {automatic / len(decisions):.0%}, referred "
            f"{outcomes.get('referred', 0) / len(decisions):.0%}"
        )
        if truths:
            print(approved_bad_rate(truths))
            print(f"reason codes (stored decisions): {reason_counts(truths)}")
            print(f"reason codes of the referred: {reason_counts(truths, 'refer')}")
            # where submit -> decision goes, on the server's clock (the rest: the polls' wait)
            for key, label in (("queued_ms", "queued for the worker"), ("deciding_ms", "the task")):
                values = [t[key] for t in truths if t.get(key) is not None]
                if values:
                    print(f"submit -> decision, {label}: p50 {percentile(values, 0.5):.0f} ms, "
                          f"p95 {percentile(values, 0.95):.0f} ms")  # fmt: skip
        if cpu:
            n = len(decisions)
            print(
                "CPU per decided application: "
                + ", ".join(f"{k} {v / n * 1000:.0f} ms" for k, v in cpu.items())
                + f" (decision worker: the Celery task; server: the {len(KINDS)} API calls "
                "of each application; documents: the OCR and contract workers, contracts "
                "rendered in the run; postgres: every backend of the scratch database)"
            )
        met = p95 <= 0.5 and not errors
        print(f"target p95 <= 500 ms and no errors: {'MET' if met else 'NOT MET'}")
    print(
        "\nrequest latencies (status: "
        + (f"each waits up to {args.status_wait:g} s" if args.status_wait else "the 50 ms polls")
        + "):"
    )
    print_request_table(stats, KINDS)
    print(f"load average at end {load_average()}")
    for e in errors[:5]:
        print("error:", e)
    if args.tiny:
        return 0 if decisions and not errors else 1
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
