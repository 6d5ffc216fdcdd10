"""Interest rates: how a rate is rounded and how the penalty rate (罚息利率) follows from the
contract's rate. One rule for quoting, the contract, funding and LPR repricing.

A rate is a Decimal fraction (0.059 for 5.9 % a year) kept to six places. The penalty rate is
the contract's rate raised by the product's markup; PBoC 银发〔2003〕251号 sets that markup at
30 %–50 % above the contract rate. A subsidised 0 % contract therefore carries a 0 % penalty rate:
the markup multiplies the rate the customer signed for, not the lender's funding rate.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from autofin.pricing.errors import PricingError

RATE_PLACES = Decimal("0.000001")
# Half-up, as for money: a rate printed on a contract and the same rate recomputed by servicing
# must agree to the last place, so every rate quantization uses this one mode.
RATE_ROUNDING = ROUND_HALF_UP
PENALTY_MARKUP_MIN = Decimal("0.3")
PENALTY_MARKUP_MAX = Decimal("0.5")


def quantize_rate(rate: Decimal) -> Decimal:
    """A rate to six places with the house rate rounding."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise PricingError("invalid_type", f"rate must be a finite Decimal, got {rate!r}")
    return rate.quantize(RATE_PLACES, rounding=RATE_ROUNDING)


def penalty_markup_allowed(markup: Decimal) -> bool:
    """Whether a penalty markup lies within the PBoC band (30 %–50 % above the contract rate)."""
    return PENALTY_MARKUP_MIN <= markup <= PENALTY_MARKUP_MAX


def penalty_rate(contract_rate: Decimal, markup: Decimal) -> Decimal:
    """The penalty rate: the contract's (customer's) annual rate × (1 + markup), to six places.

    `contract_rate` is the rate the customer signed for (after any OEM subsidy), never the
    lender's rate. The markup is not range-checked here (a product is checked when published);
    a negative markup or rate is a caller bug."""
    if not isinstance(markup, Decimal) or markup < 0:
        raise PricingError("invalid_markup", f"penalty markup must be a Decimal >= 0: {markup!r}")
    if not isinstance(contract_rate, Decimal) or contract_rate < 0:
        raise PricingError(
            "invalid_rate", f"contract rate must be a Decimal >= 0: {contract_rate!r}"
        )
    return quantize_rate(contract_rate * (1 + markup))
