"""The repayment methods and their rows in integer fen: the level instalment, equal principal
parts, and the row loops (the rounding rules are in ``autofin.pricing.schedule``'s docstring).
Shared by new schedules, restructures and partial prepayments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache

from autofin.pricing.errors import PricingError
from autofin.pricing.money import div_half_up
from autofin.pricing.rows import ScheduleRow


class Method(StrEnum):
    """Repayment methods; the values are the glossary's code names."""

    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本
    BALLOON = "balloon"  # 弹性尾款

    @classmethod
    def parse(cls, value: Method | str) -> Method:
        try:
            return _METHODS[value]
        except (KeyError, TypeError):
            raise PricingError(
                "unknown_method", f"method must be one of {list(_METHODS)}, got {value!r}"
            ) from None


_METHODS: dict[str, Method] = {member.value: member for member in Method}


@lru_cache(maxsize=4096)
def _growth(rate_num: int, rate_den: int, periods: int) -> tuple[int, int]:
    """(1 + r)^n as an exact ratio (numerator, denominator) for r = rate_num / rate_den."""
    return (rate_num + rate_den) ** periods, rate_den**periods


def level_instalment_fen(
    principal: int, monthly: tuple[int, int], periods: int, balloon: int = 0
) -> int:
    """The level instalment (principal + interest) that amortises ``principal`` down to
    ``balloon`` over ``periods`` regular months, rounded half-up to the fen.

    Exact: PMT = (P(1+r)^n - B) r / ((1+r)^n - 1), evaluated on integers, so the half-up rounding
    is decided on the true value, never on a truncated expansion.
    """
    rate_num, rate_den = monthly
    if rate_num == 0:
        return div_half_up(principal - balloon, periods)
    grown, base = _growth(rate_num, rate_den, periods)
    return div_half_up((principal * grown - balloon * base) * rate_num, rate_den * (grown - base))


def amortise_rows(
    *,
    method: Method,
    principal: int,
    monthly: tuple[int, int],
    first: tuple[int, int],
    dates: Sequence[date],
    fee: int,
    balloon: int,
    first_no: int,
    instalment: int | None = None,
    principal_parts: Sequence[int] | None = None,
) -> tuple[ScheduleRow, ...]:
    """The rows, in integer fen. ``instalment`` overrides the level instalment (shorten-term
    prepayment keeps the old one); ``principal_parts`` overrides the equal-principal split."""
    term = len(dates)
    if method is Method.EQUAL_INSTALMENT or method is Method.BALLOON:
        if instalment is None:
            instalment = level_instalment_fen(principal, monthly, term, balloon)
        return _level_rows(principal, monthly, first, dates, fee, first_no, instalment)
    if method is Method.EQUAL_PRINCIPAL:
        if principal_parts is None:
            principal_parts = equal_principal_parts(principal, term)
        return _fixed_principal_rows(
            principal, monthly, first, dates, fee, first_no, principal_parts
        )
    # Interest only: principal is a bullet with the last instalment.
    parts = [0] * term
    parts[-1] = principal
    return _fixed_principal_rows(principal, monthly, first, dates, fee, first_no, parts)


def equal_principal_parts(principal: int, term: int) -> list[int]:
    """Split the principal into ``term`` parts differing by at most one fen.

    Rounding principal / term and letting the last row absorb the residue can leave the last part
    up to term/2 fen off; instead the leftover fen go one each to the earliest rows, which keeps
    the instalments non-increasing and is (marginally) in the customer's favour.
    """
    base, extra = divmod(principal, term)
    return [base + 1] * extra + [base] * (term - extra)


def _level_rows(
    principal: int,
    monthly: tuple[int, int],
    first: tuple[int, int],
    dates: Sequence[date],
    fee: int,
    first_no: int,
    instalment: int,
) -> tuple[ScheduleRow, ...]:
    term = len(dates)
    rows: list[ScheduleRow] = []
    append = rows.append
    balance = principal
    # Row 1 carries the (possibly broken) first-period rate.
    first_num, first_den = first
    interest = (2 * balance * first_num + first_den) // (2 * first_den)
    if term == 1:
        return (ScheduleRow((first_no, dates[0], balance, balance, interest, fee)),)
    part = instalment - interest
    if part < 0:
        raise PricingError(
            "negative_amortisation",
            "the first period's interest exceeds the instalment; choose an earlier first due date",
        )
    append(ScheduleRow((first_no, dates[0], balance, part, interest, fee)))
    balance -= part
    rate_num, rate_den = monthly
    twice_num = 2 * rate_num
    twice_den = 2 * rate_den
    row = ScheduleRow
    for k in range(1, term - 1):
        # Inline div_half_up: this loop is the engine's hot path.
        interest = (balance * twice_num + rate_den) // twice_den
        part = instalment - interest
        append(row((first_no + k, dates[k], balance, part, interest, fee)))
        balance -= part
    if balance < 0:
        # Only reachable through a very short broken first period (or a near-zero amount): the
        # level instalment then repays the loan before the term ends.
        raise PricingError(
            "schedule_overpays",
            "the instalment repays the loan before the last due date; the first period is too "
            "short for this rate and term, or the amount is too small for the term",
        )
    interest = (balance * twice_num + rate_den) // twice_den
    append(ScheduleRow((first_no + term - 1, dates[-1], balance, balance, interest, fee)))
    return tuple(rows)


def _fixed_principal_rows(
    principal: int,
    monthly: tuple[int, int],
    first: tuple[int, int],
    dates: Sequence[date],
    fee: int,
    first_no: int,
    parts: Sequence[int],
) -> tuple[ScheduleRow, ...]:
    rows: list[ScheduleRow] = []
    append = rows.append
    balance = principal
    # Row 1 carries the (possibly broken) first-period rate, the others the monthly one.
    first_num, first_den = first
    interest = (2 * balance * first_num + first_den) // (2 * first_den)
    part = parts[0]
    append(ScheduleRow((first_no, dates[0], balance, part, interest, fee)))
    balance -= part
    rate_num, rate_den = monthly
    twice_num = 2 * rate_num
    twice_den = 2 * rate_den
    row = ScheduleRow
    for k in range(1, len(dates)):
        # Inline div_half_up, as in _level_rows.
        interest = (balance * twice_num + rate_den) // twice_den
        part = parts[k]
        append(row((first_no + k, dates[k], balance, part, interest, fee)))
        balance -= part
    return tuple(rows)
