"""The one penalty-rate rule and the one rate rounding (autofin.pricing.rates)."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autofin.pricing import (
    RATE_ROUNDING,
    PricingError,
    penalty_markup_allowed,
    penalty_rate,
    quantize_rate,
)

D = Decimal


def test_penalty_rate_is_the_contract_rate_raised_by_the_markup():
    assert penalty_rate(D("0.059"), D("0.5")) == D("0.088500")
    assert penalty_rate(D("0.0599"), D("0.3")) == D("0.077870")


def test_a_subsidised_zero_rate_contract_has_a_zero_penalty_rate():
    assert penalty_rate(D("0"), D("0.5")) == D("0.000000")


def test_rates_round_half_up_to_six_places():
    assert RATE_ROUNDING == ROUND_HALF_UP
    # 0.0412345 × 1.5 = 0.06185175: half-even and half-up agree; 0.0000005 is the tie
    assert quantize_rate(D("0.0000005")) == D("0.000001")
    assert quantize_rate(D("0.0000015")) == D("0.000002")
    assert penalty_rate(D("0.0412345"), D("0.5")) == D("0.061852")
    assert penalty_rate(D("0.0000010"), D("0.5")) == D("0.000002")  # 0.0000015, half-up


@pytest.mark.parametrize(
    ("markup", "allowed"),
    [("0.29", False), ("0.2999", False), ("0.30", True), ("0.4", True), ("0.50", True),
     ("0.5001", False), ("0.51", False)],
)  # fmt: skip
def test_the_pboc_band_is_30_to_50_percent(markup, allowed):
    assert penalty_markup_allowed(D(markup)) is allowed


def test_negative_or_float_inputs_are_refused():
    with pytest.raises(PricingError):
        penalty_rate(D("0.05"), D("-0.1"))
    with pytest.raises(PricingError):
        penalty_rate(0.05, D("0.5"))


@given(
    rate=st.integers(min_value=0, max_value=360000).map(lambda n: Decimal(n).scaleb(-6)),
    markup=st.integers(min_value=30, max_value=50).map(lambda n: Decimal(n).scaleb(-2)),
)
def test_penalty_rate_is_the_exact_product_rounded_half_up_once(rate, markup):
    exact = rate * (1 + markup)
    got = penalty_rate(rate, markup)
    assert got == exact.quantize(D("0.000001"), rounding=ROUND_HALF_UP)
    assert abs(got - exact) <= D("0.0000005")
    assert rate <= got <= rate * D("1.5") + D("0.0000005")
    assert (got == 0) is (rate == 0)  # a 0 % contract, and only one, carries a 0 % penalty
