"""Money helpers: amounts in CNY are Decimals quantized to the fen with a named rounding mode."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_ROUNDING = ROUND_HALF_UP


def to_decimal(value: object) -> Decimal:
    """Convert without going through float: "12.30", 12, Decimal('1.5') are accepted, 1.1 is not."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


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


def allocate_proportionally(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` by `weights` to the fen; the rounding residue goes to the largest share.

    The parts always sum exactly to `total`.
    """
    total = quantize_fen(total)
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not sum to zero")
    parts = [quantize_fen(total * w / weight_sum) for w in weights]
    residue = total - sum(parts)
    if residue:
        biggest = max(range(len(weights)), key=lambda i: weights[i])
        parts[biggest] += residue
    return parts
