"""Integer-fen arithmetic used by the schedule builder.

The hot loops work in integer fen with exact rational rates: it is exact (no Decimal context
precision to reason about) and several times faster than Decimal. Decimals appear only at the
boundaries: validated inputs come in as Decimal, public attributes go out as Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from autofin.pricing.errors import PricingError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def fen_to_decimal(fen: int) -> Decimal:
    """Integer fen -> Decimal with exactly two places (12300 -> Decimal('123.00'))."""
    # Multiplying by 0.01 is exact and keeps two places (unlike fen / 100, which would give
    # Decimal('123')). ``FEN * fen`` is the same multiplication as ``Decimal(fen) * FEN`` (the
    # int converts exactly) with one object made instead of two: about twice as fast.
    return FEN * fen


def div_half_up(numerator: int, denominator: int) -> int:
    """round_half_up(numerator / denominator) for numerator >= 0 and denominator > 0.

    floor(n/d + 1/2) == (2n + d) // 2d; only valid for non-negative values, which is all the
    engine needs (balances, rates and amounts are never negative).
    """
    return (2 * numerator + denominator) // (2 * denominator)


def fraction_half_up(value: Fraction) -> int:
    """round_half_up of a rational amount of fen; half-way values go away from zero."""
    if value < 0:
        return -div_half_up(-value.numerator, value.denominator)
    return div_half_up(value.numerator, value.denominator)


def to_fen(value: Decimal, *, field: str, allow_zero: bool = True) -> int:
    """Validate a money amount and return it in integer fen.

    Raises rather than rounds: an amount with more than two places is a caller bug.
    """
    _check_decimal(value, field)
    if value < 0:
        raise PricingError("negative_amount", f"{field} must not be negative, got {value}")
    if not allow_zero and value == 0:
        raise PricingError("zero_amount", f"{field} must be greater than zero")
    scaled = value.scaleb(2)
    fen = int(scaled)
    if scaled != fen:
        raise PricingError(
            "amount_precision", f"{field} must be a whole number of fen, got {value}"
        )
    return fen


def rate_ratio(rate: Decimal, *, field: str, maximum: Decimal = Decimal(1)) -> tuple[int, int]:
    """Validate an annual rate (a fraction: 0.094822 for 9.4822 %) and return it exactly as
    (numerator, denominator) in lowest terms."""
    _check_decimal(rate, field)
    if rate < 0 or rate > maximum:
        raise PricingError(
            "rate_out_of_range", f"{field} must be between 0 and {maximum}, got {rate}"
        )
    # Decimal gives its exact ratio in lowest terms itself. Not cached: hashing a fresh Decimal
    # (every request brings one) costs several times what the ratio does.
    return rate.as_integer_ratio()


def _check_decimal(value: object, field: str) -> None:
    # bool and float are rejected on purpose: floats carry binary noise into money.
    if not isinstance(value, Decimal):
        raise PricingError("invalid_type", f"{field} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise PricingError("invalid_number", f"{field} must be finite, got {value}")
