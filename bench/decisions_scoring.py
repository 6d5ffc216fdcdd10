"""Scoring and decision speed, in-process.

    .venv/bin/python bench/decisions_scoring.py [--scores 5000] [--decisions 300] [--keep]

1. Scoring one application with a compiled scorecard (trained here on 3,000 synthetic rows):
   mean and p95 milliseconds per record over --scores records (target <= 5 ms).
2. decision_make end to end on PostgreSQL (sandbox adapters, rules, anti-fraud queries and
   writes, scoring, affordability with the pricing engine, the Decision and audit rows), one
   application per call, each its own transaction: mean and p95 ms; and a repeated (idempotent)
   call. It creates a scratch database `autofin_bench_risk` on the server of DATABASE_URL
   (default the local PostgreSQL), migrates it, and drops it at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from _common import db_drop, db_name, percentile, scratch_database  # noqa: E402

BENCH_DB = db_name("autofin_bench_risk")


def bench_scoring(count: int) -> None:
    import numpy as np

    from risk.scorecard import CompiledScorecard, train_scorecard
    from risk.scorecard.synth import make_credit_data

    result = train_scorecard(
        make_credit_data(3000, seed=1, product_line="new"), target="default", with_plots=False
    )
    compiled = CompiledScorecard(result.artefact)
    records = (
        make_credit_data(count, seed=2, product_line="new")
        .replace({np.nan: None})
        .to_dict("records")
    )
    compiled.score(records[0])
    times = []
    for record in records:
        start = time.perf_counter()
        compiled.score(record)
        times.append((time.perf_counter() - start) * 1000)
    n_vars = len(result.artefact["variables"])
    print(
        f"scoring one application ({n_vars} variables, {count} records): "
        f"mean {statistics.mean(times):.4f} ms, p95 {percentile(times, 0.95):.4f} ms (target <= 5 ms)"
    )


def bench_decisions(count: int) -> None:
    os.environ["DATABASE_URL"] = scratch_database(BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
    os.environ.setdefault("TESTING", "0")
    import django

    django.setup()
    from autofin.crypto import keyed_hash
    from risk.scorecard.synth import make_credit_data
    from risk.services import decision_make, rule_set_default_ensure, scorecard_version_train

    rule_set_default_ensure()
    scorecard_version_train(
        frame=make_credit_data(3000, seed=1, product_line="new"),
        target="default",
        product_line="new",
    )

    def facts(i: int) -> dict:
        return {
            "applicant": {
                "age": 30 + i % 20,
                "age_at_maturity": 33 + i % 20,
                "income_monthly": f"{12000 + 37 * i}.00",
                "income_verified": True,
                "id_hash": keyed_hash(f"1101011990{i:08d}"),
                "phone_hash": keyed_hash(f"139{i:08d}"),
                "bank_account_hash": keyed_hash(f"6222{i:012d}"),
                "employment_years": 5,
                "housing": "own",
            },
            "deal": {
                "product_line": "new",
                "contract_type": "loan",
                "price": "200000.00",
                "down_payment": "60000.00",
                "amount_financed": "140000.00",
                "term_months": 36,
                "method": "equal_instalment",
                "instalment": "4258.44",
                "ltv": "0.7000",
                "vin_hash": keyed_hash(f"LSVBENCH{i:09d}"),
                "vehicle": {"kind": "new", "msrp": "200000.00"},
            },
            "product_rules": {
                "ltv_cap": "0.80",
                "min_down_payment_ratio": "0.20",
                "terms_allowed": [12, 24, 36, 48, 60],
                "amount_min": "20000.00",
                "amount_max": "500000.00",
                "rate_table": {"A": "0.0599", "B": "0.0799", "C": "0.0999", "D": "0.1299"},
            },
            "dealer": {"dealer_id": 1 + i % 40, "grade": "B", "status": "active"},
            "salesperson_id": 1000 + i % 200,
            "documents": [f"{i:064x}"],
            "co_applicant": {"present": False},
            # the bureau is asked only on a consent (each query is logged)
            "consents": {"credit_bureau": {"ref": f"consent:{i}"}},
        }

    decision_make(application_ref="BENCH-WARM", facts=facts(10**6))
    times = []
    outcomes: dict[str, int] = {}
    for i in range(count):
        f = facts(i)
        start = time.perf_counter()
        d = decision_make(application_ref=f"BENCH-{i}", facts=f)
        times.append((time.perf_counter() - start) * 1000)
        outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
    repeat = []
    for i in range(min(count, 100)):
        start = time.perf_counter()
        decision_make(application_ref=f"BENCH-{i}", facts=facts(i))
        repeat.append((time.perf_counter() - start) * 1000)
    print(
        f"decision_make end to end on PostgreSQL ({count} applications): "
        f"mean {statistics.mean(times):.2f} ms, p95 {percentile(times, 0.95):.2f} ms; outcomes {outcomes}"
    )
    print(
        f"decision_make repeated (idempotent, returns the stored decision): "
        f"mean {statistics.mean(repeat):.2f} ms, p95 {percentile(repeat, 0.95):.2f} ms"
    )
    from django.db import connections

    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scores", type=int, default=5000)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    bench_scoring(args.scores)
    try:
        bench_decisions(args.decisions)
    finally:
        if not args.keep:
            db_drop(BENCH_DB)


if __name__ == "__main__":
    main()
