"""Money helpers: amounts in CNY are Decimals quantized to the fen with a named rounding mode."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_ROUNDING = ROUND_HALF_UP

# The one notation accepted for an amount (or a rate) typed by a person or sent to the API:
# ASCII digits, an optional leading minus, an optional decimal point with digits on both sides,
# and commas only as thousands separators every three digits ("12,345.67"; "1,5" and "12,34"
# are refused, never guessed as 15 or 1.5). Python's Decimal() alone would also take "1_000",
# full-width "１２", "NaN", "Infinity" and "1e3", each a way for a typo to become a wrong amount.
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", re.ASCII)
MAX_INPUT_LENGTH = 100  # far above 18 digits with separators; bounds the work on hostile input


class AmountSyntaxError(ValueError):
    """Text that is not an amount in the accepted notation (see PLAIN_DECIMAL)."""


def to_decimal(value: object) -> Decimal:
    """The one parser for amounts and rates: "12.30", "12,345.67", 12 and Decimal("1.5") are
    accepted; floats (TypeError), bools, "1,5", "1_000", full-width digits, NaN, Infinity and
    exponents ("1e3") are refused (AmountSyntaxError, a ValueError)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    if isinstance(value, bool):
        raise AmountSyntaxError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountSyntaxError(f"not an amount: {value!r}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip()
    if len(text) > MAX_INPUT_LENGTH or not PLAIN_DECIMAL.fullmatch(text):
        raise AmountSyntaxError(f"not an amount: {str(value)[:MAX_INPUT_LENGTH]!r}")
    return Decimal(text.replace(",", ""))


def quantize_fen(value: object, rounding: str = DEFAULT_ROUNDING) -> Decimal:
    return to_decimal(value).quantize(FEN, rounding=rounding)


def format_cny(value: object, *, symbol: bool = True) -> str:
    """¥1,234.56 (and -¥1,234.56): grouping by thousands, always two decimals."""
    if value is None or value == "":
        return ""
    amount = quantize_fen(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}{'¥' if symbol else ''}{text}"
