"""Schedules per second: the pricing engine against numpy-financial (and a plain Decimal loop).

    .venv/bin/python bench/schedules.py [--rounds 5] [--schedules 2000]

Builds 60-month schedules with due dates, ``equal_instalment`` and ``equal_principal``, on one
core (the process is pinned to one CPU where the OS allows it). Each figure is the best of
``--rounds`` rounds of ``--schedules`` schedules with different amounts (same rate and dates:
quoting varies the amount far more than the dates). Figures:

* engine: ``build_schedule`` -> a Schedule whose rows hold integer fen (Decimals on access);
* engine + Decimal read-out: the same, then every row's ``as_dict()`` (what a serializer or a
  model save reads), i.e. the full cost of Decimal output;
* plain Decimal loop: the textbook loop quantizing Decimals row by row into frozen dataclass
  rows of Decimals, for reference (no validation);
* numpy-financial: ``ipmt`` + ``ppmt`` over all 60 periods (vectorised, float, no dates, no
  rounding, no residue), equal instalments only - numpy-financial has no equal-principal method.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import numpy_financial as npf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import percentile  # noqa: E402

from autofin.pricing import build_schedule  # noqa: E402
from autofin.pricing.dates import add_months  # noqa: E402

TERM = 60
RATE = Decimal("0.0688")
VALUE_DATE = date(2024, 1, 31)  # month-end, so the date rolling is exercised
FEN = Decimal("0.01")


def amounts(count: int) -> list[Decimal]:
    return [Decimal(80_000 + 37 * i) + Decimal(i % 100) / 100 for i in range(count)]


def rate_per_second(run: Callable[[], None], count: int, rounds: int) -> tuple[float, float]:
    """(best, median) items per second over ``rounds`` rounds of ``count`` items."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return count / min(timings), count / percentile(timings, 0.5)


def engine(method: str, values: list[Decimal], *, read_out: bool) -> Callable[[], None]:
    def run() -> None:
        for amount in values:
            schedule = build_schedule(
                amount_financed=amount,
                annual_rate=RATE,
                term_months=TERM,
                method=method,
                value_date=VALUE_DATE,
                day_count="30/360",
            )
            if read_out:
                for row in schedule.rows:
                    row.as_dict()

    return run


@dataclass(frozen=True, slots=True)
class PlainRow:
    instalment_no: int
    due_date: date
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    fee: Decimal
    instalment: Decimal
    closing_balance: Decimal


def plain_decimal_loop(values: list[Decimal]) -> Callable[[], None]:
    """Equal instalments the textbook way: Decimal arithmetic, a quantize per figure, frozen
    dataclass rows holding Decimals (the engine's output once read out), no validation."""
    monthly = RATE / 12
    zero = Decimal("0.00")

    def run() -> None:
        for amount in values:
            growth = (1 + monthly) ** TERM
            instalment = (amount * monthly * growth / (growth - 1)).quantize(FEN, ROUND_HALF_UP)
            balance = amount
            rows = []
            for k in range(1, TERM + 1):
                interest = (balance * monthly).quantize(FEN, ROUND_HALF_UP)
                principal = balance if k == TERM else instalment - interest
                closing = balance - principal
                due = add_months(VALUE_DATE, k)
                rows.append(
                    PlainRow(
                        k, due, balance, principal, interest, zero, principal + interest, closing
                    )
                )
                balance = closing

    return run


def numpy_financial(values: list[Decimal]) -> Callable[[], None]:
    periods = np.arange(1, TERM + 1)
    rate = float(RATE) / 12
    floats = [float(amount) for amount in values]

    def run() -> None:
        for amount in floats:
            npf.ipmt(rate, periods, TERM, -amount)
            npf.ppmt(rate, periods, TERM, -amount)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--schedules", type=int, default=2000)
    args = parser.parse_args()

    pinned = "no"
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        pinned = f"yes, CPU {cpu}"
    print(f"python     {platform.python_version()} ({platform.python_implementation()})")
    print(f"platform   {platform.platform()}")
    print(f"processor  {platform.processor() or platform.machine()}")
    print(f"cpu count  {os.cpu_count()} (pinned to one core: {pinned})")
    print(f"numpy      {np.__version__}, numpy-financial {npf.__version__}")
    print(
        f"workload   {args.schedules} schedules x {args.rounds} rounds, {TERM} months, with dates"
    )
    print()

    values = amounts(args.schedules)
    results: dict[str, tuple[float, float]] = {}
    cases: list[tuple[str, Callable[[], None]]] = [
        ("engine equal_instalment", engine("equal_instalment", values, read_out=False)),
        ("engine equal_principal", engine("equal_principal", values, read_out=False)),
        (
            "engine equal_instalment + Decimal read-out",
            engine("equal_instalment", values, read_out=True),
        ),
        (
            "engine equal_principal + Decimal read-out",
            engine("equal_principal", values, read_out=True),
        ),
        ("plain Decimal loop, equal_instalment", plain_decimal_loop(values)),
        ("numpy-financial ipmt+ppmt, equal_instalment", numpy_financial(values)),
    ]
    print(f"{'case':<46} {'best/s':>10} {'median/s':>10}")
    for name, run in cases:
        run()  # warm caches (dates, growth factors), as a running server has
        best, median = rate_per_second(run, args.schedules, args.rounds)
        results[name] = (best, median)
        print(f"{name:<46} {best:>10,.0f} {median:>10,.0f}")

    numpy_rate = results["numpy-financial ipmt+ppmt, equal_instalment"][0]
    print()
    for name in (
        "engine equal_instalment",
        "engine equal_instalment + Decimal read-out",
        "plain Decimal loop, equal_instalment",
    ):
        print(f"{name} / numpy-financial: {results[name][0] / numpy_rate:.2f}x")
    target = 20_000
    for name in ("engine equal_instalment", "engine equal_principal"):
        verdict = "meets" if results[name][0] >= target else "MISSES"
        print(f"{name}: {verdict} the {target:,}/s target")


if __name__ == "__main__":
    main()
