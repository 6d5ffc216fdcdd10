"""APR disclosure (IRR method), flat-rate conversions and the OEM subsidy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest

from autofin.pricing import (
    APR_METHOD,
    PricingError,
    Schedule,
    apr_irr,
    apr_percent,
    apr_to_flat_rate,
    build_schedule,
    flat_rate_to_apr,
    monthly_irr,
    subsidy_amount,
)

D = Decimal


def schedule(amount: str, rate: str, term: int, **extra) -> Schedule:
    return build_schedule(
        amount_financed=D(amount),
        annual_rate=D(rate),
        term_months=term,
        method=extra.pop("method", "equal_instalment"),
        value_date=date(2024, 3, 1),
        day_count="30/360",
        **extra,
    )


def test_apr_method_label():
    assert APR_METHOD == "IRR method (PBoC 2021 No. 3)"


def test_apr_without_fees_equals_the_nominal_rate():
    s = schedule("100000.00", "0.0688", 36)

    assert apr_irr(s) == D("0.0688")
    assert apr_percent(apr_irr(s)) == D("6.88")


def test_apr_with_an_upfront_fee_is_above_the_nominal_rate():
    # 100,000.00 at 5% over 36 months: instalment 2,997.09 (last 2,997.11). A 2,000.00 handling
    # fee deducted at disbursement: the customer receives 98,000.00, so 12 x IRR = 6.354 %.
    s = schedule("100000.00", "0.05", 36)
    apr = apr_irr(s, upfront_fees=D("2000.00"))

    assert apr == D("0.0635")
    assert apr_percent(apr) == D("6.35")
    # Float cross-check of the same cash flows (level payments, last one 2 fen more).
    assert abs(npf.rate(36, 2997.09, -98000, 0) * 12 - 0.06354) < 0.00001


def test_apr_counts_the_fee_column_as_payments():
    plain = schedule("12000.00", "0.24", 4)
    with_fee = schedule("12000.00", "0.24", 4, fee_per_instalment=D("25.00"))

    assert apr_irr(plain) == D("0.2400")
    assert apr_irr(with_fee) > apr_irr(plain)


def test_apr_of_the_second_hand_case_reflects_the_rounded_instalment():
    # 17.13 is 17.1306 rounded down, so the true IRR is 9.469 %, below the nominal 9.4822 %.
    assert apr_irr(schedule("100.00", "0.094822", 6)) == D("0.0947")


def test_apr_of_a_zero_percent_offer_with_a_fee():
    # 0% over 12 months, 12,000.00 -> 1,000.00 a month; 300.00 fee upfront -> 11,700.00 received.
    s = schedule("12000.00", "0", 12)

    assert apr_irr(s) == D("0.0000")
    assert apr_irr(s, upfront_fees=D("300.00")) == D("0.0470")
    assert abs(npf.rate(12, 1000, -11700, 0) * 12 - 0.047000457) < 1e-9


def test_apr_rejects_fees_above_the_amount():
    with pytest.raises(PricingError) as caught:
        apr_irr(schedule("1000.00", "0.1", 12), upfront_fees=D("1000.00"))
    assert caught.value.code == "fees_out_of_range"


def test_monthly_irr_tolerance():
    # 100 now against 110 in a month: exactly 10 % a month.
    assert abs(monthly_irr(advance=D(100), payments=[D(110)]) - D("0.1")) < D("1e-15")


@pytest.mark.parametrize(
    ("advance", "payments"), [("100", []), ("0", ["10"]), ("100", ["-5", "110"]), ("100", ["0"])]
)
def test_monthly_irr_refuses_cash_flows_without_a_unique_irr(advance, payments):
    with pytest.raises(PricingError) as caught:
        monthly_irr(advance=D(advance), payments=[D(p) for p in payments])
    assert caught.value.code == "invalid_cash_flows"


@pytest.mark.parametrize(
    ("flat", "term", "apr"),
    [
        # 3.50% flat over 36 months: instalment (1 + 0.035 x 3) / 36 per unit -> APR 6.60 %.
        ("0.0350", 36, "0.0660"),
        ("0.0399", 12, "0.0729"),
        ("0.0399", 60, "0.0740"),
        ("0.05", 36, "0.0931"),
        ("0", 24, "0.0000"),
    ],
)
def test_flat_rate_to_apr(flat, term, apr):
    assert flat_rate_to_apr(D(flat), term) == D(apr)
    # Float cross-check: level instalments of (1 + flat x n / 12) / n on an advance of 1.
    payment = (1 + float(flat) * term / 12) / term
    assert abs(npf.rate(term, payment, -1, 0) * 12 - float(apr)) <= 0.00005


@pytest.mark.parametrize("term", [6, 12, 24, 36, 48, 60])
@pytest.mark.parametrize("flat", ["0.0150", "0.0299", "0.0350", "0.0399", "0.0488", "0.0700"])
def test_flat_to_apr_to_flat_round_trip(flat, term):
    assert apr_to_flat_rate(flat_rate_to_apr(D(flat), term), term) == D(flat)


@pytest.mark.parametrize("term", [12, 36, 60])
@pytest.mark.parametrize("apr", ["0.0450", "0.0688", "0.1200"])
def test_apr_to_flat_to_apr_within_a_basis_point(apr, term):
    assert abs(flat_rate_to_apr(apr_to_flat_rate(D(apr), term), term) - D(apr)) <= D("0.0001")


def test_subsidy_for_a_zero_percent_offer_gives_the_lender_its_rate():
    # Customer: 100,000.00 at 0% over 36 months -> 35 x 2,777.78 and a last 2,777.70.
    # PV at 8%/12 a month: annuity factor (1 - 1.00666...^-36) / 0.00666... = 31.91180,
    # 2,777.78 x 31.91180 = 88,643.99, less 0.08 x 1.00666...^-36 = 0.06 for the smaller last
    # payment: 88,643.91 -> subsidy 100,000.00 - 88,643.91 = 11,356.09.
    customer = schedule("100000.00", "0", 36)
    subsidy = subsidy_amount(customer, lender_rate=D("0.08"))

    assert subsidy == D("11356.09")
    pv = npf.pv(0.08 / 12, 36, -2777.78) - 0.08 / (1 + 0.08 / 12) ** 36
    assert abs(100000 - pv - float(subsidy)) < 0.01
    # The lender advances 100,000.00, gets 11,356.09 back at once and the customer's payments.
    lender_irr = monthly_irr(
        advance=D("100000.00") - subsidy, payments=[row.instalment for row in customer.rows]
    )
    assert abs(lender_irr * 12 - D("0.08")) < D("0.000001")


def test_subsidy_is_zero_when_the_customer_pays_the_lender_rate():
    # The formula alone gives -0.02 here: the customer's instalment 3,133.64 is rounded down.
    assert subsidy_amount(schedule("100000.00", "0.08", 36), lender_rate=D("0.08")) == D("0.00")


def test_subsidy_refuses_a_lender_rate_below_the_customer_rate():
    with pytest.raises(PricingError) as caught:
        subsidy_amount(schedule("100000.00", "0.08", 36), lender_rate=D("0.05"))
    assert caught.value.code == "lender_rate_below_customer_rate"
