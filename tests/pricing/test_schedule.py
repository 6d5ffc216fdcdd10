"""Repayment schedules: hand-checked figures to the fen, date rolling, methods, validation."""

from __future__ import annotations

import ast
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

import autofin.pricing
from autofin.pricing import (
    DayCount,
    Method,
    PricingError,
    Schedule,
    ScheduleRow,
    add_months,
    build_schedule,
    days_30e_360,
    reamortize,
)
from autofin.pricing.money import div_half_up

D = Decimal


def schedule(
    amount: str,
    rate: str,
    term: int,
    method: str = "equal_instalment",
    *,
    value_date: date = date(2024, 1, 15),
    day_count: str = "30/360",
    **extra,
) -> Schedule:
    return build_schedule(
        amount_financed=D(amount),
        annual_rate=D(rate),
        term_months=term,
        method=method,
        value_date=value_date,
        day_count=day_count,
        **extra,
    )


def column(s: Schedule, name: str) -> list[Decimal]:
    return [getattr(row, name) for row in s.rows]


def dec(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


# --- the hand-checked cases, verbatim ------------------------------------------------


def test_hand_case_12000_at_2_percent_a_month_4_instalments():
    # 12,000 at 2% per month (annual 24%, 30/360, regular periods), 4 monthly equal instalments:
    # instalment 3,151.49; principal 2,911.49 / 2,969.72 / 3,029.11 / 3,089.68;
    # interest 240.00 / 181.77 / 122.38 / 61.79 (last instalment 3,151.47).
    s = schedule("12000.00", "0.24", 4)

    assert column(s, "instalment") == dec("3151.49", "3151.49", "3151.49", "3151.47")
    assert column(s, "principal") == dec("2911.49", "2969.72", "3029.11", "3089.68")
    assert column(s, "interest") == dec("240.00", "181.77", "122.38", "61.79")
    assert column(s, "closing_balance") == dec("9088.51", "6118.79", "3089.68", "0.00")
    assert s.totals.principal == D("12000.00")
    assert s.totals.interest == D("605.94")
    assert s.totals.instalments == D("12605.94")


def test_hand_case_100_at_9_4822_percent_6_instalments():
    # 100.00 at 9.4822% a year, 30/360, 6 monthly equal instalments: instalment 17.13;
    # interest 0.79 0.66 0.53 0.40 0.27 0.13; principal 16.34 16.47 16.60 16.73 16.86 17.00.
    s = schedule("100.00", "0.094822", 6)

    assert column(s, "instalment") == [D("17.13")] * 6
    assert column(s, "interest") == dec("0.79", "0.66", "0.53", "0.40", "0.27", "0.13")
    assert column(s, "principal") == dec("16.34", "16.47", "16.60", "16.73", "16.86", "17.00")


# --- dates --------------------------------------------------------------------------------------


def test_month_end_value_date_rolls_to_each_month_end():
    s = schedule("6000.00", "0.06", 4, value_date=date(2024, 1, 31))

    # Anchored on the 31st: Feb clamps to the 29th (leap year), March is back on the 31st.
    assert column(s, "due_date") == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert not s.broken_first_period


def test_explicit_month_end_first_due_date_anchors_later_dates():
    s = schedule(
        "6000.00", "0.06", 3, value_date=date(2022, 12, 31), first_due_date=date(2023, 1, 31)
    )

    assert column(s, "due_date") == [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]
    assert not s.broken_first_period


def test_add_months_and_30e_360():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2023, 1, 31), 2) == date(2023, 3, 31)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert days_30e_360(date(2024, 1, 10), date(2024, 2, 25)) == 45
    assert days_30e_360(date(2024, 1, 31), date(2024, 3, 31)) == 60
    assert days_30e_360(date(2024, 2, 29), date(2024, 3, 31)) == 31


# --- broken first period ----------------------------------------------------------------------


def test_broken_first_period_30_360():
    # Value date 10 Jan, first due 25 Feb: 30E/360 days = 30 x 1 + (25 - 10) = 45.
    # First interest = 12,000.00 x 24% x 45/360 = 12,000.00 x 0.03 = 360.00 (instead of 240.00).
    # The instalment stays the regular one, 3,151.49 (first hand case), so
    #   row 1: principal 3,151.49 - 360.00 = 2,791.49, closing 9,208.51
    #   row 2: interest 9,208.51 x 2% = 184.1702 -> 184.17, principal 2,967.32, closing 6,241.19
    #   row 3: interest 6,241.19 x 2% = 124.8238 -> 124.82, principal 3,026.67, closing 3,214.52
    #   row 4: interest 3,214.52 x 2% = 64.2904 -> 64.29, principal 3,214.52 (the rest),
    #          instalment 3,278.81: the last row absorbs the longer first period.
    s = schedule(
        "12000.00", "0.24", 4, value_date=date(2024, 1, 10), first_due_date=date(2024, 2, 25)
    )

    assert s.broken_first_period
    assert column(s, "due_date") == [
        date(2024, 2, 25),
        date(2024, 3, 25),
        date(2024, 4, 25),
        date(2024, 5, 25),
    ]
    assert column(s, "interest") == dec("360.00", "184.17", "124.82", "64.29")
    assert column(s, "principal") == dec("2791.49", "2967.32", "3026.67", "3214.52")
    assert column(s, "instalment") == dec("3151.49", "3151.49", "3151.49", "3278.81")
    assert s.totals.principal == D("12000.00")


def test_broken_first_period_act_365f():
    # Value date 1 Mar 2024, first due 21 Apr: 31 (March) + 20 = 51 actual days.
    # First interest = 36,500.00 x 10% x 51/365 = 3,650 x 51/365 = 510.00.
    # Regular monthly rate r = 0.10/12; (1+r)^3 = 1.0252089, so the instalment is
    # 36,500 x r / (1 - 1/1.0252089) = 36,500 x 0.3389032 = 12,370.0... -> 12,370.01.
    #   row 1: principal 12,370.01 - 510.00 = 11,860.01, closing 24,639.99
    #   row 2: interest 24,639.99 / 120 = 205.3332 -> 205.33, principal 12,164.68,
    #          closing 12,475.31
    #   row 3: interest 12,475.31 / 120 = 103.9609 -> 103.96, principal 12,475.31,
    #          instalment 12,579.27
    s = schedule(
        "36500.00",
        "0.10",
        3,
        value_date=date(2024, 3, 1),
        first_due_date=date(2024, 4, 21),
        day_count="ACT/365F",
    )

    assert column(s, "interest") == dec("510.00", "205.33", "103.96")
    assert column(s, "principal") == dec("11860.01", "12164.68", "12475.31")
    assert column(s, "instalment") == dec("12370.01", "12370.01", "12579.27")
    assert s.day_count is DayCount.ACT_365F


def test_broken_first_period_equal_principal_only_changes_first_interest():
    # 30E/360 from 10 Jan to 25 Feb is 45 days: 6,000.00 x 12% x 45/360 = 90.00.
    s = schedule(
        "6000.00",
        "0.12",
        3,
        "equal_principal",
        value_date=date(2024, 1, 10),
        first_due_date=date(2024, 2, 25),
    )

    assert column(s, "principal") == dec("2000.00", "2000.00", "2000.00")
    assert column(s, "interest") == dec("90.00", "40.00", "20.00")


def test_first_period_too_long_for_the_instalment_is_refused():
    # 84 months at 36%: the instalment is about 3.3% of the amount, two months' interest is 6%.
    with pytest.raises(PricingError) as caught:
        schedule(
            "100000.00", "0.36", 84, value_date=date(2024, 1, 1), first_due_date=date(2024, 3, 1)
        )
    assert caught.value.code == "negative_amortisation"


def test_first_period_too_short_for_the_term_is_refused():
    # One day of interest instead of a month at 24% over 60 months: the saved interest, grown
    # over the term, exceeds the last instalments and the loan would be overpaid.
    with pytest.raises(PricingError) as caught:
        schedule(
            "100000.00", "0.24", 60, value_date=date(2024, 1, 1), first_due_date=date(2024, 1, 2)
        )
    assert caught.value.code == "schedule_overpays"


# --- methods ------------------------------------------------------------------------------------


def test_balloon_last_instalment_is_regular_plus_balloon():
    # 100,000.00 at 8% over 12 months down to a 30,000.00 balloon; r = 0.08/12, (1+r)^12 = 1.0830:
    # instalment = (100,000 x 1.0830 - 30,000) x r / 0.0830 = 6,289.19.
    s = schedule(
        "100000.00",
        "0.08",
        12,
        "balloon",
        value_date=date(2024, 3, 1),
        balloon_amount=D("30000.00"),
    )

    assert column(s, "instalment")[:-1] == [D("6289.19")] * 11
    assert s.rows[-1].instalment == D("6289.19") + D("30000.00")
    assert s.rows[-2].closing_balance == s.rows[-1].principal
    assert s.totals.principal == D("100000.00")
    assert s.balloon_amount == D("30000.00")


def test_balloon_residue_goes_to_the_last_instalment():
    # At 6% the rounding residue is -0.01: the last instalment is regular + balloon - 0.01.
    s = schedule(
        "100000.00",
        "0.06",
        12,
        "balloon",
        value_date=date(2024, 3, 1),
        balloon_amount=D("30000.00"),
    )

    assert s.rows[0].instalment == D("6174.65")
    assert s.rows[-1].instalment == D("36174.64")
    assert s.totals.principal == D("100000.00")


def test_interest_only_pays_interest_then_the_principal_with_the_last():
    # 50,000.00 x 7.2% / 12 = 300.00 a month.
    s = schedule("50000.00", "0.072", 6, "interest_only", value_date=date(2024, 3, 1))

    assert column(s, "principal") == [D("0.00")] * 5 + [D("50000.00")]
    assert column(s, "interest") == [D("300.00")] * 6
    assert column(s, "instalment") == [D("300.00")] * 5 + [D("50300.00")]
    assert column(s, "closing_balance") == [D("50000.00")] * 5 + [D("0.00")]


def test_equal_principal_spreads_the_odd_fen_over_the_first_rows():
    # 10,000.00 / 6 = 1,666.666...: four rows of 1,666.67 and two of 1,666.66 (sum 10,000.00).
    # Interest at 1% a month on each opening balance, rounded half-up.
    s = schedule("10000.00", "0.12", 6, "equal_principal", value_date=date(2024, 3, 1))

    assert column(s, "principal") == dec(
        "1666.67", "1666.67", "1666.67", "1666.67", "1666.66", "1666.66"
    )
    assert column(s, "interest") == dec("100.00", "83.33", "66.67", "50.00", "33.33", "16.67")
    assert column(s, "instalment") == dec(
        "1766.67", "1750.00", "1733.34", "1716.67", "1699.99", "1683.33"
    )
    assert s.totals.interest == D("350.00")


def test_zero_rate_residue_goes_to_the_last_instalment():
    s = schedule("10000.00", "0", 3, value_date=date(2024, 3, 1))

    assert column(s, "instalment") == dec("3333.33", "3333.33", "3333.34")
    assert column(s, "interest") == [D("0.00")] * 3
    assert s.totals.principal == D("10000.00")


def test_one_month_term():
    s = schedule("1000.00", "0.12", 1, value_date=date(2024, 3, 1))

    assert len(s.rows) == 1
    row = s.rows[0]
    assert (row.principal, row.interest, row.instalment, row.closing_balance) == (
        D("1000.00"),
        D("10.00"),
        D("1010.00"),
        D("0.00"),
    )
    assert row.due_date == date(2024, 4, 1)


def test_fee_per_instalment_is_added_to_every_row():
    s = schedule("12000.00", "0.24", 4, fee_per_instalment=D("25.00"))

    assert column(s, "fee") == [D("25.00")] * 4
    assert column(s, "instalment") == dec("3176.49", "3176.49", "3176.49", "3176.47")
    assert s.totals.fees == D("100.00")
    assert s.totals.instalments == D("12705.94")


def test_reamortize_restructures_an_outstanding_principal_with_continued_numbering():
    # The first hand case's outstanding principal after 2 instalments, over 4 new months at 1%.
    s = reamortize(
        outstanding_principal=D("6118.79"),
        annual_rate=D("0.12"),
        term_months=4,
        method="equal_instalment",
        value_date=date(2024, 3, 15),
        day_count="30/360",
        first_instalment_no=3,
    )

    assert [row.instalment_no for row in s.rows] == [3, 4, 5, 6]
    assert s.rows[0].due_date == date(2024, 4, 15)
    assert s.totals.principal == D("6118.79")


def test_public_money_attributes_are_two_place_decimals():
    row = schedule("12000.00", "0.24", 4).rows[0]

    values = row.as_dict()
    assert values == {
        "instalment_no": 1,
        "due_date": date(2024, 2, 15),
        "opening_balance": D("12000.00"),
        "principal": D("2911.49"),
        "interest": D("240.00"),
        "fee": D("0.00"),
        "instalment": D("3151.49"),
        "closing_balance": D("9088.51"),
    }
    for name in ("opening_balance", "principal", "interest", "fee", "instalment"):
        assert values[name].as_tuple().exponent == -2
    assert (
        ScheduleRow.from_amounts(
            instalment_no=1,
            due_date=date(2024, 2, 15),
            opening_balance=D("12000.00"),
            principal=D("2911.49"),
            interest=D("240.00"),
            fee=D("0"),
        )
        == row
    )


def test_rows_and_schedules_are_immutable():
    s = schedule("12000.00", "0.24", 4)
    with pytest.raises(AttributeError):
        s.rows[0].principal_fen = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.method = Method.BALLOON  # type: ignore[misc]


def test_integer_half_up():
    assert div_half_up(5, 10) == 1  # 0.5 -> 1
    assert div_half_up(15, 10) == 2  # 1.5 -> 2
    assert div_half_up(14999, 10000) == 1
    assert div_half_up(0, 7) == 0


# --- validation ---------------------------------------------------------------------------------

VALID = {
    "amount_financed": D("10000.00"),
    "annual_rate": D("0.08"),
    "term_months": 12,
    "method": "equal_instalment",
    "value_date": date(2024, 1, 15),
    "day_count": "30/360",
}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"term_months": 0}, "term_out_of_range"),
        ({"term_months": 121}, "term_out_of_range"),
        ({"term_months": 12.0}, "invalid_type"),
        ({"amount_financed": D("-1.00")}, "negative_amount"),
        ({"amount_financed": D("0")}, "zero_amount"),
        ({"amount_financed": D("100.001")}, "amount_precision"),
        ({"amount_financed": 10000.0}, "invalid_type"),
        ({"amount_financed": D("NaN")}, "invalid_number"),
        ({"annual_rate": D("-0.01")}, "rate_out_of_range"),
        ({"annual_rate": D("1.5")}, "rate_out_of_range"),
        ({"annual_rate": 0.08}, "invalid_type"),
        ({"method": "annuity"}, "unknown_method"),
        ({"day_count": "ACT/360"}, "unknown_day_count"),
        ({"first_due_date": date(2024, 1, 15)}, "first_due_date_out_of_range"),
        ({"first_due_date": date(2024, 3, 16)}, "first_due_date_out_of_range"),
        ({"value_date": "2024-01-15"}, "invalid_type"),
        ({"method": "balloon"}, "balloon_out_of_range"),
        ({"method": "balloon", "balloon_amount": D("10000.00")}, "balloon_out_of_range"),
        ({"balloon_amount": D("100.00")}, "balloon_not_allowed"),
        ({"fee_per_instalment": D("-5.00")}, "negative_amount"),
        ({"first_instalment_no": 0}, "invalid_instalment_no"),
    ],
)
def test_bad_input_raises_pricing_error_with_a_code(change, code):
    with pytest.raises(PricingError) as caught:
        build_schedule(**{**VALID, **change})
    assert caught.value.code == code
    assert caught.value.message


# --- cross-check against numpy-financial --------------------------------------------------------


@pytest.mark.parametrize("amount", ["1000.00", "88888.88", "350000.00"])
@pytest.mark.parametrize("rate", ["0.0199", "0.0688", "0.12", "0.24"])
@pytest.mark.parametrize("term", [6, 12, 36, 60])
def test_equal_instalments_agree_with_numpy_financial_within_a_fen(amount, rate, term):
    s = schedule(amount, rate, term)
    monthly = float(rate) / 12
    periods = np.arange(1, term + 1)
    payment = npf.pmt(monthly, term, -float(amount))
    interest = npf.ipmt(monthly, periods, term, -float(amount))
    principal = npf.ppmt(monthly, periods, term, -float(amount))

    # The instalment is pmt rounded (half a fen); interest is ipmt on a balance that drifts from
    # numpy's by the accumulated roundings, then rounded: within a fen. Principal is
    # instalment - interest and inherits both roundings, so it gets two fen (grid row
    # 1,000.00 / 12% / 36 months, row 14, is 1.005 fen off).
    fen = 0.01 + 1e-9
    for row, expected_interest, expected_principal in zip(
        s.rows[:-1], interest, principal, strict=False
    ):
        assert abs(float(row.instalment) - payment) <= fen / 2
        assert abs(float(row.interest) - expected_interest) <= fen
        assert abs(float(row.principal) - expected_principal) <= 2 * fen


def test_a_schedule_needs_rows():
    with pytest.raises(PricingError) as caught:
        Schedule(
            rows=(),
            method=Method.EQUAL_INSTALMENT,
            annual_rate=D("0.08"),
            day_count=DayCount.THIRTY_360,
            value_date=date(2024, 1, 15),
        )
    assert caught.value.code == "empty_schedule"


def test_the_engine_imports_no_django():
    # Static check of the package's own imports (importing it at run time also runs
    # autofin/__init__.py, which is the Django project's and loads the Celery app).
    package = Path(autofin.pricing.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith(("django", "rest_framework", "celery")), source
                assert not name.startswith("autofin.") or name.startswith("autofin.pricing"), source


@pytest.mark.parametrize("method", ["equal_instalment", "equal_principal", "balloon"])
def test_read_out_of_the_whole_schedule_is_every_rows_as_dict(method):
    """The shared-Decimal read-out gives exactly what each row's as_dict gives."""
    schedule = build_schedule(
        amount_financed=Decimal("123456.78"),
        annual_rate=Decimal("0.0725"),
        term_months=24,
        method=method,
        value_date=date(2025, 1, 31),
        day_count="30/360",
        fee_per_instalment=Decimal("15.00"),
        balloon_amount=Decimal("30000.00") if method == "balloon" else Decimal("0"),
    )
    read_out = schedule.rows_read_out()
    assert read_out == [row.as_dict() for row in schedule.rows]
    money = ("opening_balance", "principal", "interest", "fee", "instalment", "closing_balance")
    # two places on every figure, also on the Decimals shared between rows
    assert {getattr(row, k).as_tuple().exponent for row in read_out for k in money} == {-2}
    # by attribute, in the columns' order
    assert read_out[0].principal == schedule.rows[0].principal
    assert [name for name, _value in read_out[0].items()] == list(read_out[0].as_dict())


def test_a_read_out_row_is_its_columns_by_name_and_equals_only_their_exact_dict():
    schedule = build_schedule(
        amount_financed=Decimal("10000.00"),
        annual_rate=Decimal("0.06"),
        term_months=3,
        method="equal_instalment",
        value_date=date(2025, 1, 15),
        day_count="30/360",
    )
    first, *_middle, last = schedule.rows_read_out()
    assert (first.instalment_no, first.due_date) == (1, date(2025, 2, 15))
    assert (first.opening_balance, first.principal, first.interest) == (
        Decimal("10000.00"),
        Decimal("3316.72"),
        Decimal("50.00"),
    )
    assert first.instalment == Decimal("3366.72") and first.closing_balance == Decimal("6683.28")
    # == and != both ways round (a dict on the left hands the comparison to the row)
    same = schedule.rows[0].as_dict()
    assert (first == same, first != same, same == first, same != first) == (True, False) * 2
    one_fen_off = {**same, "interest": Decimal("50.01")}
    assert (first == one_fen_off, first != one_fen_off, one_fen_off != first) == (False, True, True)
    assert {first: "hashable"}[first] == "hashable"
    assert last.closing_balance == Decimal("0.00")


def test_the_read_out_last_closing_balance_is_a_positive_zero_whatever_the_rounding_context():
    schedule = build_schedule(
        amount_financed=Decimal("10000.00"),
        annual_rate=Decimal("0.06"),
        term_months=12,
        method="equal_principal",
        value_date=date(2025, 1, 15),
        day_count="30/360",
    )
    with localcontext(rounding=ROUND_FLOOR):
        read_out = schedule.rows_read_out()
    # A Decimal subtraction's exact zero is -0.00 under ROUND_FLOOR; the read-out's is not.
    assert repr(read_out[-1].closing_balance) == "Decimal('0.00')"
    assert read_out == [row.as_dict() for row in schedule.rows]
