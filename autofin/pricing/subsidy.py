"""Manufacturer (OEM) subsidy (厂商贴息)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from autofin.pricing.errors import PricingError
from autofin.pricing.money import fen_to_decimal, fraction_half_up, rate_ratio
from autofin.pricing.schedule import MAX_ANNUAL_RATE, Schedule


def subsidy_amount(customer_schedule: Schedule, *, lender_rate: Decimal) -> Decimal:
    """The amount the OEM pays the lender upfront so that the lender earns ``lender_rate``.

    ``customer_schedule`` is the schedule priced at the customer's rate (0 % offers included).
    The lender advances the amount financed and receives the subsidy at once plus the customer's
    payments, so its yield is ``lender_rate`` exactly when

        subsidy = amount financed - PV(customer payments at lender_rate / 12 a month).

    Choices: payments are principal + interest of each row (the ``fee`` column is not part of the
    loan's yield); payment k is discounted k whole months (a broken first period counts as one
    month, as in the APR); the result is rounded ROUND_HALF_UP to the fen, so the lender's IRR
    matches ``lender_rate`` to within that half fen. A subsidy is never negative: when the rates
    are (nearly) equal, the fen rounding of the customer's instalments can push the formula a few
    fen below zero, and that noise must not become a payment to the OEM.
    """
    lender_num, lender_den = rate_ratio(lender_rate, field="lender_rate", maximum=MAX_ANNUAL_RATE)
    if lender_rate < customer_schedule.annual_rate:
        raise PricingError(
            "lender_rate_below_customer_rate",
            f"lender_rate {lender_rate} is below the customer's rate "
            f"{customer_schedule.annual_rate}: there is nothing to subsidise",
        )
    growth = 1 + Fraction(lender_num, lender_den * 12)
    present_value = Fraction(0)
    # Horner from the last payment: PV = (p_1 + (p_2 + ... ) / g) / g
    for row in reversed(customer_schedule.rows):
        present_value = (present_value + row.principal_fen + row.interest_fen) / growth
    subsidy = fraction_half_up(customer_schedule.rows[0].opening_fen - present_value)
    return fen_to_decimal(max(subsidy, 0))
