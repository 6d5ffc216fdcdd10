"""Rounding to the fen, and how the figures a message names read (¥12,345.60, 12.5%)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def percent_text(ratio: Decimal) -> str:
    """0.15 -> '15%', 0.125 -> '12.5%', 0.0588 -> '5.88%' (at most two decimals, half-up)."""
    value = (ratio * 100).quantize(FEN, rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def cny_text(amount: Decimal) -> str:
    """12345.6 -> '¥12,345.60'."""
    value = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    return f"{'-' if value < 0 else ''}¥{abs(value):,.2f}"


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)
