"""Every bench in bench/ runs in CI in its tiny mode, so none can rot unnoticed.

Each bench runs as a subprocess, as a person runs it, with small sizes (seconds each: the
scratch databases are copies of one migrated template, bench/_common.scratch_database). A run
passes when it exits 0 (a crash or a broken invariant — trial balance not zero, a payment made
twice — exits non-zero) and prints the figures it exists for. A tiny run's figures mean nothing;
only their presence is checked.

The scratch databases carry a prefix of their own ($TEST_DATABASE_NAME's) and the benches get
their own Redis db ($BENCH_REDIS_URL, default db 15; the disbursement bench flushes it), so this
file runs beside the rest of the suite and beside a person benching on the same server.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TIMEOUT = 300  # seconds for one tiny run; the first also migrates the template


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# bench: (tiny arguments, the figures its output must show)
TINY = {
    "schedules": (
        ["--rounds", "1", "--schedules", "20"],
        [r"engine \+ Decimal read-out\s+[\d,]+\s+[\d,]+",
         r"engine \+ Decimal read-out, cold caches\s+[\d,]+",
         r"plain Decimal loop, equal_instalment\s+[\d,]+",
         r"load avg .* at end",
         r"engine \+ Decimal read-out \(median\): (meets|MISSES) the 20,000/s target"],
    ),
    "quotes": (
        ["--requests", "20", "--threads", "2", "--workers", "1", "--warmup", "2"],
        [r"statuses: \{201: 20\}", r"throughput: [\d.]+ quotes/s",
         r"latency ms: mean [\d.]+ +p50 [\d.]+ +p95 [\d.]+ +p99 [\d.]+"],
    ),
    "intake": (
        ["--clients", "2", "--seconds", "3", "--workers", "1", "--drop", "--port", "{port}"],
        [r"completed applications: [1-9]\d* in [\d.]+ s = [\d.]+ submissions/s.*errors: 0",
         r"^all\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", r"load average at end [\d.]+"],
    ),
    "decisions": (
        ["--clients", "2", "--seconds", "3", "--workers", "1", "--celery-concurrency", "1",
         "--port", "{port}", "--tiny"],
        [r"applications decided: [1-9]\d* in [\d.]+ s .*errors: 0",
         r"submit -> decision: p50 \d+ ms, p95 \d+ ms", r"decided automatically .* \d+%",
         r"load average at end [\d.]+"],
    ),
    "decisions_scoring": (
        ["--scores", "50", "--decisions", "3"],
        [r"scoring one application .* mean [\d.]+ ms, p95 [\d.]+ ms"],
    ),
    "disbursement": (
        ["--count", "3", "--workers", "1", "--concurrency", "4"],
        [r"funded 3/3 in [\d.]+ s .*[\d.]+ disbursements/s, [\d.]+ payments/s",
         r"releases/s sustained .*: [\d.]+ \(target >= 20\); load average [\d.]+",
         r"release -> all payees paid: p50 [\d.]+ s, p95 [\d.]+ s",
         r"a release in its thread: \d+ ms wall, of which \d+ ms the thread's own CPU",
         r"bank calls: \d+ round trips \([\d.]+ calls/s\) for 12 payments: \d+ payments sent",
         r"workers' peak RSS: \d+ MB",
         r"keys paid more than once: 0; instructions paid more than once: 0; "
         r"instructions unpaid: 0",
         r"trial balance debit−credit 0\.00$", r"^RESULT: OK$"],
    ),
    "ledger": (
        ["--entries", "20", "--batch", "100", "--lines", "1000"],
        [r"journal_post, one entry per transaction: [\d,]+ entries/s",
         r"journal_post_many, one call of 100 entries: [\d,]+ entries/s",
         r"trial_balance\(\) over [\d,]+ lines: [\d.]+ s, total 0(\.00)?$",
         r"one unbalanced entry: refused=True"],
    ),
    "repayments": (
        ["--loans", "20", "--workers", "2", "--chunk", "10", "--mode", "contention"],
        [r"clones differing from their template: ledger 0, schedule 0, loan 0; trial balance 0\.00",
         r"synchronous_commit=on in every worker",
         r"\d+ repayments posted by 2 workers in [\d.]+s: \d+ postings/s \(0 errors\) - "
         r"(meets|MISSES) .* in mode contention",
         r"per posting p50 [\d.]+ ms, p95 [\d.]+ ms; [\d.]+ SQL statements a posting",
         r"lock waits: on average [\d.]+ of 2 backends .* retries after serialization failure "
         r"or deadlock \d+",
         r"trial balance total 0\.00 .* posted twice 0; \d+ sampled loans, 0 not matching",
         r"^OK$"],
    ),
    "eod": (
        ["--loans", "100", "--sample", "10", "--chunk", "50", "--workers", "1",
         "--load-rate", "2"],
        [r"^batch 2026-03-16: succeeded", r"total wall time [\d.]+ s for 100 loans = [\d,]+ loans/s",
         r"ratio to the naive per-loan loop: [\d.]+x",
         r"online load during batch: \d+ requests, p95 \d+ ms",
         r"celery worker process \d+: peak RSS [\d,]+ MB", r"load average at the batch's end: [\d.]+"],
    ),
    "ocr": (
        ["--tiny"],
        [r"fields right: \d+/\d+ = [\d.]+% \((meets|MISSES)",
         r"seconds per document: mean [\d.]+, p95 [\d.]+",
         r"near-duplicates .* caught at ≤ \d+ bits: \d+/\d+"],
    ),
    "collateral_checks": (
        ["--tiny"],
        [r"phone status: 200 loans in [\d.]+ s \([\d,]+ loans/s\), 4 deactivated",
         r"revaluation: 200 loans in [\d.]+ s", r"re-run of the month: phone checked 0 .* revalued 0",
         r"extrapolated to 1,000,000 loans: phone status [\d,]+ s, revaluation [\d,]+ s"],
    ),
    "month_end": (
        ["--loans", "200"],
        [r"provision run: 200 loans; compute [\d.]+ s", r"EAD [\d,.]+ ECL [\d,.]+"],
    ),
}  # fmt: skip


def test_every_bench_has_a_tiny_run():
    benches = {p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_")}
    assert benches == set(TINY)


@pytest.mark.parametrize("bench", sorted(TINY))
def test_bench_runs_tiny(bench):
    arguments, figures = TINY[bench]
    arguments = [a.format(port=_free_port()) for a in arguments]
    prefix = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_autofin'}_"
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = dict(os.environ)
    for name in ("TESTING", "CELERY_TASK_ALWAYS_EAGER", "BENCH_DB", "BENCH_EOD_DB"):
        env.pop(name, None)
    env.update(
        AUTOFIN_SANDBOX="1",
        BENCH_DB_PREFIX=prefix,
        BENCH_MONTH_END_DB=f"{prefix}bench_month_end",
        BENCH_COLLATERAL_DB=f"{prefix}bench_collateral",
        REDIS_URL=redis_url,
        BENCH_REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
    )
    if bench == "eod":
        env["BENCH_EOD_DB"] = f"{prefix}bench_eod"
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(BENCH / f"{bench}.py"), *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    took = time.monotonic() - started
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"{bench} exited {run.returncode} after {took:.0f} s:\n{output}"
    missing = [f for f in figures if not re.search(f, run.stdout, re.MULTILINE)]
    assert not missing, f"{bench} did not print {missing}:\n{output}"
