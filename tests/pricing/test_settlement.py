"""Early-settlement quotes and partial prepayment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autofin.pricing import (
    EarlySettlementLockedError,
    PayoffQuote,
    PricingError,
    Schedule,
    ScheduleRow,
    build_schedule,
    partial_prepayment,
    payoff_quote,
)

D = Decimal


def hand_case() -> Schedule:
    """The issue's first hand case: 12,000.00 at 24% (2% a month) over 4 months, due the 15th.

    Rows (principal / interest / closing): 2,911.49 / 240.00 / 9,088.51; 2,969.72 / 181.77 /
    6,118.79; 3,029.11 / 122.38 / 3,089.68; 3,089.68 / 61.79 / 0.00. Instalment 3,151.49.
    """
    return build_schedule(
        amount_financed=D("12000.00"),
        annual_rate=D("0.24"),
        term_months=4,
        method="equal_instalment",
        value_date=date(2024, 1, 15),
        day_count="30/360",
    )


def column(s: Schedule, name: str) -> list[Decimal]:
    return [getattr(row, name) for row in s.rows]


def dec(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


# --- payoff quote -------------------------------------------------------------------------------


def test_payoff_inside_the_lock_in_raises():
    with pytest.raises(EarlySettlementLockedError) as caught:
        payoff_quote(
            hand_case(),
            as_of=date(2024, 4, 5),
            paid_instalments=2,
            early_settlement_fee_rate=D("0.03"),
            lock_in_months=3,  # locked until 15 Apr 2024
        )
    assert caught.value.code == "early_settlement_locked"
    assert "2024-04-15" in caught.value.message
    assert isinstance(caught.value, PricingError)


def test_payoff_after_the_lock_in_30_360():
    # Two instalments paid (last due 15 Mar), settle on 5 Apr: outstanding 6,118.79;
    # 30E/360 days 15 Mar -> 5 Apr = 20; interest 6,118.79 x 24% x 20/360 = 81.5839 -> 81.58;
    # fee 3% x 6,118.79 = 183.5637 -> 183.56; total 6,118.79 + 81.58 + 183.56 = 6,383.93.
    quote = payoff_quote(
        hand_case(),
        as_of=date(2024, 4, 5),
        paid_instalments=2,
        early_settlement_fee_rate=D("0.03"),
        lock_in_months=2,  # ended 15 Mar 2024
    )

    assert quote == PayoffQuote(
        as_of=date(2024, 4, 5),
        outstanding_principal=D("6118.79"),
        accrued_interest=D("81.58"),
        early_settlement_fee=D("183.56"),
        total=D("6383.93"),
        accrual_start=date(2024, 3, 15),
        accrual_days=20,
    )


def test_payoff_after_the_lock_in_act_365f():
    # Same, actual days 15 Mar -> 5 Apr = 21: 6,118.79 x 24% x 21/365 = 84.4890 -> 84.49;
    # total 6,118.79 + 84.49 + 183.56 = 6,386.84.
    quote = payoff_quote(
        hand_case(),
        as_of=date(2024, 4, 5),
        paid_instalments=2,
        early_settlement_fee_rate=D("0.03"),
        lock_in_months=2,
        day_count="ACT/365F",
    )

    assert (quote.accrual_days, quote.accrued_interest, quote.total) == (
        21,
        D("84.49"),
        D("6386.84"),
    )


def test_payoff_before_the_first_instalment_accrues_from_the_value_date():
    # 30E/360 15 Jan -> 5 Feb = 20 days: 12,000.00 x 24% x 20/360 = 160.00; fee 2% = 240.00.
    quote = payoff_quote(
        hand_case(),
        as_of=date(2024, 2, 5),
        paid_instalments=0,
        early_settlement_fee_rate=D("0.02"),
        lock_in_months=0,
    )

    assert quote.accrual_start == date(2024, 1, 15)
    assert (quote.accrued_interest, quote.early_settlement_fee, quote.total) == (
        D("160.00"),
        D("240.00"),
        D("12400.00"),
    )


def test_payoff_on_the_first_day_after_the_lock_in_is_allowed():
    quote = payoff_quote(
        hand_case(),
        as_of=date(2024, 3, 15),
        paid_instalments=2,
        early_settlement_fee_rate=D("0"),
        lock_in_months=2,
    )
    assert quote.total == D("6118.79")


def test_payoff_from_a_schedule_rebuilt_from_stored_rows():
    original = hand_case()
    stored = [row.as_dict() for row in original.rows]
    rebuilt = Schedule(
        rows=tuple(
            ScheduleRow.from_amounts(
                **{k: v for k, v in row.items() if k not in ("instalment", "closing_balance")}
            )
            for row in stored
        ),
        method=original.method,
        annual_rate=original.annual_rate,
        day_count=original.day_count,
        value_date=original.value_date,
    )

    kwargs = {
        "as_of": date(2024, 4, 5),
        "paid_instalments": 2,
        "early_settlement_fee_rate": D("0.03"),
        "lock_in_months": 2,
    }
    assert payoff_quote(rebuilt, **kwargs) == payoff_quote(original, **kwargs)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"as_of": date(2024, 4, 16)}, "as_of_out_of_range"),  # instalment 3 is overdue
        ({"as_of": date(2024, 3, 14)}, "as_of_out_of_range"),  # before the last paid due date
        ({"paid_instalments": 4}, "paid_instalments_out_of_range"),
        ({"paid_instalments": -1}, "paid_instalments_out_of_range"),
        ({"early_settlement_fee_rate": D("-0.01")}, "rate_out_of_range"),
        ({"lock_in_months": -1}, "invalid_lock_in"),
        ({"day_count": "30/365"}, "unknown_day_count"),
    ],
)
def test_payoff_bad_input(change, code):
    kwargs = {
        "as_of": date(2024, 4, 5),
        "paid_instalments": 2,
        "early_settlement_fee_rate": D("0.03"),
        "lock_in_months": 0,
        **change,
    }
    with pytest.raises(PricingError) as caught:
        payoff_quote(hand_case(), **kwargs)
    assert caught.value.code == code


# --- partial prepayment -------------------------------------------------------------------------


def test_prepayment_lowering_the_instalment():
    # After instalment 1 the balance is 9,088.51; prepaying 3,000.00 leaves 6,088.51 over the 3
    # remaining months at 2%: 6,088.51 x 0.02 / (1 - 1.02^-3) = 6,088.51 x 0.3467547 = 2,111.22.
    #   row 2: interest 121.7702 -> 121.77, principal 1,989.45, closing 4,099.06
    #   row 3: interest 81.9812 -> 81.98, principal 2,029.24, closing 2,069.82
    #   row 4: interest 41.3964 -> 41.40, principal 2,069.82, instalment 2,111.22
    s = partial_prepayment(
        hand_case(), paid_instalments=1, prepay_amount=D("3000.00"), option="lower_instalment"
    )

    assert [row.instalment_no for row in s.rows] == [2, 3, 4]
    assert column(s, "due_date") == [date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15)]
    assert column(s, "instalment") == dec("2111.22", "2111.22", "2111.22")
    assert column(s, "interest") == dec("121.77", "81.98", "41.40")
    assert column(s, "principal") == dec("1989.45", "2029.24", "2069.82")
    assert s.totals.principal == D("9088.51") - D("3000.00")
    assert s.value_date == date(2024, 2, 15)


def test_prepayment_shortening_the_term():
    # Same prepayment, keeping the 3,151.49 instalment:
    #   row 2: interest 121.77, principal 3,151.49 - 121.77 = 3,029.72, closing 3,058.79
    #   row 3: interest 3,058.79 x 2% = 61.1758 -> 61.18; 3,058.79 + 61.18 = 3,119.97 is below
    #          the instalment, so row 3 is the last and instalment 4 is gone.
    s = partial_prepayment(
        hand_case(), paid_instalments=1, prepay_amount=D("3000.00"), option="shorten_term"
    )

    assert [row.instalment_no for row in s.rows] == [2, 3]
    assert column(s, "instalment") == dec("3151.49", "3119.97")
    assert column(s, "principal") == dec("3029.72", "3058.79")
    assert column(s, "interest") == dec("121.77", "61.18")
    assert s.totals.principal == D("6088.51")


def test_prepayments_chain_and_keep_the_loan_numbering():
    # Lowered to 2,111.22 after instalment 1; after instalment 2 (balance 4,099.06) prepay
    # 1,000.00 -> 3,099.06, keep 2,111.22: row 3 interest 61.9812 -> 61.98, principal 2,049.24,
    # closing 1,049.82; row 4 interest 21.00 (20.9964), instalment 1,049.82 + 21.00 = 1,070.82.
    first = partial_prepayment(
        hand_case(), paid_instalments=1, prepay_amount=D("3000.00"), option="lower_instalment"
    )
    second = partial_prepayment(
        first, paid_instalments=2, prepay_amount=D("1000.00"), option="shorten_term"
    )

    assert [row.instalment_no for row in second.rows] == [3, 4]
    assert column(second, "instalment") == dec("2111.22", "1070.82")
    assert second.totals.principal == D("3099.06")


def test_equal_principal_prepayment_both_options():
    # 10,000.00 at 12% over 6 months, equal principal; after 2 rows the balance is 6,666.66,
    # prepay 2,500.00 -> 4,166.66 (interest 1% a month).
    s = build_schedule(
        amount_financed=D("10000.00"),
        annual_rate=D("0.12"),
        term_months=6,
        method="equal_principal",
        value_date=date(2024, 3, 1),
        day_count="30/360",
    )

    lower = partial_prepayment(
        s, paid_instalments=2, prepay_amount=D("2500.00"), option="lower_instalment"
    )
    # 4,166.66 / 4 = 1,041.665: two rows of 1,041.67 and two of 1,041.66.
    assert column(lower, "principal") == dec("1041.67", "1041.67", "1041.66", "1041.66")
    assert column(lower, "interest") == dec("41.67", "31.25", "20.83", "10.42")

    shorter = partial_prepayment(
        s, paid_instalments=2, prepay_amount=D("2500.00"), option="shorten_term"
    )
    # Keep 1,666.67 a row: 1,666.67 + 1,666.67 + 833.32 (the rest); row 6 is gone.
    assert column(shorter, "principal") == dec("1666.67", "1666.67", "833.32")
    assert column(shorter, "interest") == dec("41.67", "25.00", "8.33")
    assert [row.instalment_no for row in shorter.rows] == [3, 4, 5]
    assert shorter.totals.principal == D("4166.66")


def test_balloon_prepayment_keeps_the_balloon():
    s = build_schedule(
        amount_financed=D("100000.00"),
        annual_rate=D("0.08"),
        term_months=12,
        method="balloon",
        balloon_amount=D("30000.00"),
        value_date=date(2024, 3, 1),
        day_count="30/360",
    )
    lower = partial_prepayment(
        s, paid_instalments=6, prepay_amount=D("20000.00"), option="lower_instalment"
    )

    assert column(lower, "instalment") == [D("2877.65")] * 5 + [D("32877.64")]
    assert lower.totals.principal == s.rows[6].opening_balance - D("20000.00")
    with pytest.raises(PricingError) as caught:
        partial_prepayment(
            s, paid_instalments=6, prepay_amount=D("20000.00"), option="shorten_term"
        )
    assert caught.value.code == "prepayment_option_not_supported"


def test_prepayment_before_the_first_instalment_keeps_a_broken_first_period():
    # Broken 45-day first period (30/360, 10 Jan -> 25 Feb); prepay 2,000.00 on the value date:
    # 10,000.00 over 4 months at 2%: instalment 2,626.24, first interest 10,000 x 3% = 300.00.
    s = build_schedule(
        amount_financed=D("12000.00"),
        annual_rate=D("0.24"),
        term_months=4,
        method="equal_instalment",
        value_date=date(2024, 1, 10),
        first_due_date=date(2024, 2, 25),
        day_count="30/360",
    )
    lower = partial_prepayment(
        s, paid_instalments=0, prepay_amount=D("2000.00"), option="lower_instalment"
    )

    assert lower.broken_first_period
    assert column(lower, "interest")[0] == D("300.00")
    assert column(lower, "instalment")[:3] == [D("2626.24")] * 3
    assert lower.totals.principal == D("10000.00")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"prepay_amount": D("9088.51")}, "prepayment_out_of_range"),  # that is a payoff
        ({"prepay_amount": D("0")}, "zero_amount"),
        ({"prepay_amount": D("10.005")}, "amount_precision"),
        ({"option": "skip_a_month"}, "unknown_prepayment_option"),
        ({"paid_instalments": 4}, "paid_instalments_out_of_range"),
    ],
)
def test_prepayment_bad_input(change, code):
    kwargs = {
        "paid_instalments": 1,
        "prepay_amount": D("1000.00"),
        "option": "lower_instalment",
        **change,
    }
    with pytest.raises(PricingError) as caught:
        partial_prepayment(hand_case(), **kwargs)
    assert caught.value.code == code


def test_interest_only_prepayment_lowers_the_interest():
    s = build_schedule(
        amount_financed=D("50000.00"),
        annual_rate=D("0.072"),
        term_months=6,
        method="interest_only",
        value_date=date(2024, 3, 1),
        day_count="30/360",
    )
    lower = partial_prepayment(
        s, paid_instalments=3, prepay_amount=D("10000.00"), option="lower_instalment"
    )

    # 40,000.00 x 0.6% = 240.00 a month, the principal still a bullet with the last.
    assert column(lower, "instalment") == dec("240.00", "240.00", "40240.00")
    with pytest.raises(PricingError) as caught:
        partial_prepayment(s, paid_instalments=3, prepay_amount=D("1.00"), option="shorten_term")
    assert caught.value.code == "prepayment_option_not_supported"
