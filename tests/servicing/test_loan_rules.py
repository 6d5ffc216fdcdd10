"""One source per rule (servicing.loan_rules): the SQL the batch runs is generated from the Python
definitions and gives the stated rule at every boundary — checked on PostgreSQL, and through the
real delinquency step on loans at each boundary DPD."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from autofin.pricing import add_months
from servicing import loan_rules
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.collections import CollectionCase, LoanDelinquency
from servicing.models.loans import Loan, LoanStatus
from servicing.services.repayments.posting import repayment_post
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db

BOUNDARIES = [0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 360, 361]
# the rule as the business states it (GLOSSARY; 五级分类 by DPD)
EXPECTED = {
    0: ("M0", "normal", False),
    1: ("M1", "special_mention", False),
    30: ("M1", "special_mention", False),
    31: ("M2", "special_mention", False),
    60: ("M2", "special_mention", False),
    61: ("M3", "special_mention", False),
    90: ("M3", "special_mention", False),
    91: ("M4", "substandard", True),
    120: ("M4", "substandard", True),
    121: ("M5", "substandard", True),
    150: ("M5", "substandard", True),
    151: ("M6", "substandard", True),
    180: ("M6", "substandard", True),
    181: ("M7+", "doubtful", True),
    360: ("M7+", "doubtful", True),
    361: ("M7+", "loss", True),
}
_phones = itertools.count(13900002000)


def _sql(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_generated_sql_gives_the_stated_rule_at_every_boundary():
    # when PostgreSQL evaluates the generated expressions over the boundary DPDs
    b, c, n = (
        loan_rules.bucket_sql("x.d"),
        loan_rules.classification_sql("x.d"),
        loan_rules.non_accrual_sql("x.d"),
    )
    got = _sql(
        f"SELECT x.d, {b}, {c}, {n} FROM unnest(%s::int[]) AS x(d) ORDER BY x.d",  # noqa: S608
        [BOUNDARIES],
    )
    # then it gives the stated rule
    assert {d: (bucket, klass, na) for d, bucket, klass, na in got} == EXPECTED
    queues = _sql(
        f"SELECT x.b, {loan_rules.queue_sql('x.b')} FROM unnest(%s::text[]) AS x(b)",  # noqa: S608
        [list(loan_rules.BUCKET_NAMES)],
    )
    assert dict(queues) == {
        "M0": "field_legal",  # never asked: M0 has no case
        "M1": "soft",
        "M2": "call",
        "M3": "call",
        "M4": "field_legal",
        "M5": "field_legal",
        "M6": "field_legal",
        "M7+": "field_legal",
    }


def test_dpd_and_tolerance_sql_agree_with_python():
    as_of = dt.date(2026, 3, 1)
    cases = [
        # (oldest due, arrears, tolerance) -> dpd
        (None, D("0.00"), D("0.00"), 0),
        (dt.date(2026, 2, 28), D("0.01"), D("0.00"), 1),  # any fen counts without a tolerance
        (dt.date(2026, 2, 1), D("9.99"), D("10.00"), 0),  # under the tolerance: not overdue
        (dt.date(2026, 2, 1), D("10.00"), D("10.00"), 28),  # at the tolerance: overdue
        (dt.date(2026, 2, 1), D("10.01"), D("10.00"), 28),
        (dt.date(2025, 2, 24), D("5000.00"), D("10.00"), 370),
    ]
    sql = loan_rules.dpd_sql(oldest="x.o", arrears="x.a", as_of="%(as_of)s::date", tolerance="x.t")
    got = _sql(
        f"""SELECT {sql} FROM unnest(%(o)s::date[], %(a)s::numeric[], %(t)s::numeric[])
                 WITH ORDINALITY AS x(o, a, t, n) ORDER BY x.n""",  # noqa: S608
        {
            "as_of": as_of,
            "o": [c[0] for c in cases],
            "a": [c[1] for c in cases],
            "t": [c[2] for c in cases],
        },
    )
    python = [
        loan_rules.dpd(oldest_due=o, arrears=a, as_of=as_of, tolerance=t) for o, a, t, _ in cases
    ]
    assert [g[0] for g in got] == python == [c[3] for c in cases]


def test_penalty_daily_amount_sql_agrees_with_python_at_half_fen():
    # base x rate / 360 landing on, under and over half a fen
    cases = [
        (D("100.00"), D("0.180000")),  # 0.05 exactly
        (D("10.00"), D("0.180000")),  # 0.005 -> 0.01 (half-up)
        (D("9.99"), D("0.180000")),  # 0.004995 -> 0.00
        (D("120000.00"), D("0.090000")),  # 30.00
        (D("10377.97"), D("0.135000")),  # 3.8917... -> 3.89
    ]
    daily = loan_rules.penalty_daily_sql("x.b", "x.r")
    got = _sql(
        f"SELECT {daily} FROM unnest(%s::numeric[], %s::numeric(9, 6)[])"  # noqa: S608
        " WITH ORDINALITY AS x(b, r, n) ORDER BY x.n",
        [[c[0] for c in cases], [c[1] for c in cases]],
    )
    assert [g[0] for g in got] == [loan_rules.penalty_daily(b, r) for b, r in cases]
    assert [g[0] for g in got] == [D("0.05"), D("0.01"), D("0.00"), D("30.00"), D("3.89")]


def test_closed_statuses_are_loan_statuses_and_written_nowhere_else():
    # every closed status is a loan status, and the SQL list is generated from the one tuple
    assert set(LoanStatus.values) >= loan_rules.CLOSED_STATUSES
    assert loan_rules.REPAID_STATUSES < loan_rules.CLOSED_STATUSES
    assert _sql(
        f"SELECT count(*) FROM unnest(%s::text[]) AS s(c) WHERE s.c IN {loan_rules.closed_sql()}",  # noqa: S608
        [list(LoanStatus.values)],
    ) == [(len(loan_rules.CLOSED_STATUSES),)]
    # no module keeps its own copy of the list (as SQL literal or as Python tuple)
    root = Path(__file__).resolve().parents[2]
    copy = re.compile(r"""['"](settled_early|paid_off)['"]\s*,\s*['"](paid_off|charged_off)""")
    offenders = [
        str(path.relative_to(root))
        for app in ("servicing", "risk", "dealers", "origination", "autofin")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.name not in {"loan_rules.py", "seed.py"}
        and copy.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _loan_due(first_due: dt.date):
    from autofin.roles import Role
    from tests.factories import UserFactory

    customer = UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones)))
    return make_loan(customer=customer, value_date=add_months(first_due, -1), term=24)


def test_delinquency_step_at_every_boundary(settings):
    # given, for each boundary DPD, a loan that has never paid and whose first instalment was
    # due so that at the close of D its DPD (as of D+1) is that number
    settings.EOD_AUTO_DEBIT_SEND = False
    day = dt.date(2026, 6, 10)  # every first due date on a day <= 28: no month-end clamping
    loans = {}
    for dpd in BOUNDARIES:
        first_due = day + dt.timedelta(days=1 - dpd) if dpd else day + dt.timedelta(days=5)
        loans[dpd] = _loan_due(first_due)
        assert rows(loans[dpd])[0].due_date == first_due
    set_day(day)
    # when the delinquency step closes D
    batch_run_sync(business_date=day, only_step="delinquency")
    # then each loan's DPD, bucket, five category and non-accrual are the stated rule
    stored = {
        d.loan_id: (d.dpd, d.bucket, d.classification, d.non_accrual)
        for d in LoanDelinquency.objects.all()
    }
    got = {dpd: stored.get(loan.pk, (0, "M0", "normal", False)) for dpd, loan in loans.items()}
    assert got == {dpd: (dpd, *EXPECTED[dpd]) for dpd in BOUNDARIES}
    # and the loan's status follows (charge-off at the policy's 180 DPD closes the oldest)
    statuses = dict(Loan.objects.values_list("pk", "status"))
    assert {dpd: statuses[loan.pk] for dpd, loan in loans.items()} == {
        dpd: "active" if dpd == 0 else "overdue" if dpd < 180 else "charged_off"
        for dpd in BOUNDARIES
    }


def _short_by(loan, amount: Decimal, day: dt.date) -> None:
    first = rows(loan)[0]
    repayment_post(
        loan_id=loan.pk,
        amount=first.instalment - amount,
        source="online",
        actor="test",
        business_date=day,
        idempotency_key=f"short-{loan.pk}",
    )


def test_tolerance_arrears_under_it_are_not_overdue_at_it_they_are(settings, policy):
    settings.EOD_AUTO_DEBIT_SEND = False
    # given a past-due tolerance of 10.00 and two loans whose first instalment (due D) was paid
    # short by 9.99 and by 10.00
    policy("servicing.past_due_tolerance", "10.00")
    due = dt.date(2026, 2, 15)
    under, at = _loan_due(due), _loan_due(due)
    set_day(due)
    _short_by(under, D("9.99"), due)
    _short_by(at, D("10.00"), due)
    # when the batch closes D (DPD as of D+1)
    batch = batch_run_sync(business_date=due)
    assert batch.status == "succeeded", batch.error
    under.refresh_from_db()
    at.refresh_from_db()
    # then 9.99 under the tolerance: current, no collections case; 10.00 at it: 1 day past due
    assert under.status == LoanStatus.ACTIVE
    assert not LoanDelinquency.objects.filter(loan=under, dpd__gt=0).exists()
    assert at.status == LoanStatus.OVERDUE
    assert LoanDelinquency.objects.filter(loan=at).values_list("dpd", "bucket").get() == (1, "M1")
    assert list(CollectionCase.objects.values_list("loan_id", "bucket")) == [(at.pk, "M1")]
    # and the amounts are still owed: the tolerance waives nothing
    assert rows(under)[0].amount_unpaid == D("9.99")
    assert rows(at)[0].amount_unpaid == D("10.00")
    # and online (the hot path) the same rule: paying 0.01 brings `at` under the tolerance
    repayment_post(
        loan_id=at.pk,
        amount=D("0.01"),
        source="online",
        actor="test",
        business_date=due + dt.timedelta(days=1),
        idempotency_key=f"cent-{at.pk}",
    )
    at.refresh_from_db()
    assert at.status == LoanStatus.ACTIVE
    assert rows(at)[0].amount_unpaid == D("9.99")


def test_accrual_day_count_sql_agrees_with_pricing():
    from autofin.pricing import DayCount
    from autofin.pricing.dates import period_days, period_days_sql

    # month ends, the 31st, February, a leap year, a year boundary, the same day
    pairs = [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 30), dt.date(2026, 3, 31)),
        (dt.date(2026, 2, 28), dt.date(2026, 3, 1)),
        (dt.date(2028, 2, 28), dt.date(2028, 3, 1)),
        (dt.date(2025, 12, 15), dt.date(2026, 1, 15)),
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31)),
        (dt.date(2025, 5, 31), dt.date(2026, 8, 31)),
    ]
    cases = [(a, b, basis) for a, b in pairs for basis in DayCount]
    days, year = period_days_sql(start="x.a", end="x.b", day_count="x.c")
    got = _sql(
        f"SELECT {days}, {year} FROM unnest(%s::date[], %s::date[], %s::text[])"  # noqa: S608
        " WITH ORDINALITY AS x(a, b, c, n) ORDER BY x.n",
        [[c[0] for c in cases], [c[1] for c in cases], [str(c[2]) for c in cases]],
    )
    assert [(int(d), int(y)) for d, y in got] == [period_days(a, b, c) for a, b, c in cases]
