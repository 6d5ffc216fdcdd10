"""The engine's figures, pinned to the fen on thousands of random schedules (issue 22).

`schedules_golden.txt` holds, for each generated case, a digest of every figure the engine gives
out — the Decimal read-out (`rows_read_out`), each row's own Decimals, the totals and the
schedule's terms — or the refusal's code. It was generated from the engine as it was before the
read-out was made faster (branch lifecycle-base, commit c9f0820), so a speed change that moves a
single fen, a Decimal's exponent, a type or a refusal fails here. It must not be regenerated to
make a speed change pass: a change of a figure is a change of the product and needs its own
hand-checked tests first.

The cases are drawn with `random.Random.random()` only, whose sequence Python keeps stable
across versions for a given seed (randrange, choice and friends may change); the first line
pins the drawn inputs themselves, so a drift of the generator is told apart from a change of
the engine. Regenerate the file only for a deliberate change of figures:
`python -m tests.pricing.test_schedule_golden > tests/pricing/schedules_golden.txt`.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from autofin.pricing import PricingError, Schedule, build_schedule, partial_prepayment

GOLDEN = Path(__file__).with_name("schedules_golden.txt")
CASES = 4000
SEED = 22
METHODS = ("equal_instalment", "equal_principal", "interest_only", "balloon")
DAY_COUNTS = ("30/360", "ACT/365F")
OPTIONS = ("shorten_term", "lower_instalment")
COMMON_TERMS = (12, 24, 36, 48, 60)


def _cases() -> list[tuple]:
    """The inputs: every method and day count, amounts from ¥1,000 to ¥5,000,000 to the fen,
    six-place rates up to 36 % (some 0 %), terms 1-120 (mostly the common ones), broken first
    periods (some too long, refused), fees, balloons, continued numbering, and a prepayment on
    a quarter of them."""
    rnd = random.Random(SEED)

    def pick(n: int) -> int:
        return int(rnd.random() * n)

    cases = []
    for _ in range(CASES):
        method = METHODS[pick(len(METHODS))]
        amount = 100_000 + pick(499_900_000)
        rate = 0 if pick(20) == 0 else pick(360_001)
        term = COMMON_TERMS[pick(5)] if pick(3) else 1 + pick(120)
        value_date = date(2020, 1, 1) + timedelta(days=pick(16 * 366))
        first_due = value_date + timedelta(days=15 + pick(56)) if pick(5) < 2 else None
        fee = pick(50_001) if pick(3) == 0 else 0
        balloon = amount * (1 + pick(60)) // 100 if method == "balloon" else 0
        first_no = 1 + pick(24) if pick(5) == 0 else 1
        prepay = None
        if pick(4) == 0:
            # (rows paid as a share of the term, the prepaid share of the outstanding, option)
            prepay = (pick(1000), 1 + pick(999), OPTIONS[pick(2)])
        cases.append((
            method, amount, rate, term, value_date, DAY_COUNTS[pick(2)], first_due, fee,
            balloon, first_no, prepay,
        ))  # fmt: skip
    return cases


def _figures(schedule: Schedule) -> str:
    """Every figure the schedule gives out, with its type and exponent (repr)."""
    read_out = schedule.rows_read_out()
    rows = [
        (row.instalment_no, row.due_date, row.opening_balance, row.principal, row.interest,
         row.fee, row.instalment, row.closing_balance, row.as_dict())
        for row in schedule.rows
    ]  # fmt: skip
    return repr((
        [list(data.items()) for data in read_out], rows, schedule.totals, schedule.method,
        schedule.annual_rate, schedule.day_count, schedule.value_date,
        schedule.broken_first_period, schedule.fee_per_instalment, schedule.balloon_amount,
    ))  # fmt: skip


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _outcome(build) -> str:
    try:
        return _digest(_figures(build()))
    except PricingError as error:
        return f"refused {error.code}"


def _case_lines(case: tuple) -> list[str]:
    method, amount, rate, term, value_date, day_count, first_due, fee, balloon, first_no, prepay = (
        case
    )

    def build() -> Schedule:
        return build_schedule(
            amount_financed=Decimal(amount).scaleb(-2),
            annual_rate=Decimal(rate).scaleb(-6),
            term_months=term,
            method=method,
            value_date=value_date,
            day_count=day_count,
            first_due_date=first_due,
            fee_per_instalment=Decimal(fee).scaleb(-2),
            balloon_amount=Decimal(balloon).scaleb(-2),
            first_instalment_no=first_no,
        )

    lines = [_outcome(build)]
    if prepay is not None and not lines[0].startswith("refused"):
        schedule = build()
        paid_share, prepaid_share, option = prepay
        paid = first_no - 1 + len(schedule.rows) * paid_share // 1000
        outstanding = schedule.rows[paid - first_no + 1].opening_fen
        prepay_fen = max(1, outstanding * prepaid_share // 1000)
        lines.append(
            "prepaid "
            + _outcome(
                lambda: partial_prepayment(
                    schedule,
                    paid_instalments=paid,
                    prepay_amount=Decimal(prepay_fen).scaleb(-2),
                    option=option,
                )
            )
        )
    return lines


def golden_lines() -> list[str]:
    cases = _cases()
    lines = [f"inputs {_digest(repr(cases))}"]
    for number, case in enumerate(cases):
        lines.extend(f"{number} {line}" for line in _case_lines(case))
    return lines


def test_the_engine_gives_the_golden_figures_on_thousands_of_random_schedules():
    expected = GOLDEN.read_text().splitlines()
    actual = golden_lines()
    assert actual[0] == expected[0], "the drawn inputs changed: the generator, not the engine"
    differing = [(e, a) for e, a in zip(expected, actual, strict=False) if e != a]
    assert not differing, f"{len(differing)} cases differ, first ones: {differing[:5]}"
    assert len(actual) == len(expected)
    # The file covers what it claims to: thousands of schedules, refusals and prepayments.
    built = [line for line in expected[1:] if " refused " not in line and " prepaid " not in line]
    assert len(built) > 3000
    assert sum(" prepaid " in line and " refused " not in line for line in expected) > 500
    assert sum(" refused " in line for line in expected) > 50


def test_the_read_out_is_every_rows_as_dict_on_random_schedules():
    for case in _cases()[:500]:
        method, amount, rate, term, value_date, day_count, first_due, fee, balloon, first_no, _ = (
            case
        )
        try:
            schedule = build_schedule(
                amount_financed=Decimal(amount).scaleb(-2),
                annual_rate=Decimal(rate).scaleb(-6),
                term_months=term,
                method=method,
                value_date=value_date,
                day_count=day_count,
                first_due_date=first_due,
                fee_per_instalment=Decimal(fee).scaleb(-2),
                balloon_amount=Decimal(balloon).scaleb(-2),
                first_instalment_no=first_no,
            )
        except PricingError:
            continue
        assert schedule.rows_read_out() == [row.as_dict() for row in schedule.rows]


if __name__ == "__main__":
    print("\n".join(golden_lines()))
