"""Repayment schedules (还款计划): equal instalments, equal principal, interest only, balloon.

Rounding rules (house style: every residue lands somewhere explicit):

* each period's interest is round_half_up(opening balance x period rate) to the fen;
* the level instalment (equal instalments, balloon) is computed once, exactly, and rounded
  half-up to the fen;
* every row but the last pays ``instalment - interest`` of principal; the last row pays the whole
  remaining balance plus its rounded interest, so it absorbs the rounding residue. Principal
  therefore sums exactly to the amount financed and interest is exactly the sum of the rounded
  periodic interest.

Periods: regular periods use annual rate / 12 whatever their length in days. A broken first
period (first due date not exactly one month after the value date) accrues
``annual rate x days / year`` under the day count: 30E/360 or ACT/365F. With level instalments the
instalment stays the one computed from the regular monthly rate; only the first row's interest
(and so its principal) differs, and the last row absorbs the difference.

Speed: rows are computed in integer fen with the rate as an exact integer ratio (see
``autofin.pricing.money``) and stored as ints; the public money attributes are Decimal properties
built on access. ``bench/schedules.py`` measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from autofin.pricing.dates import DayCount, add_months, check_date, due_dates, period_days
from autofin.pricing.errors import PricingError
from autofin.pricing.money import ZERO, div_half_up, fen_to_decimal, rate_ratio, to_fen

MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 120
MAX_ANNUAL_RATE = Decimal(1)
# A first period longer than two months is a data-entry error, not a product.
MAX_FIRST_PERIOD_MONTHS = 2


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


@dataclass(frozen=True, slots=True, repr=False)
class ScheduleRow:
    """One instalment. Amounts are held in integer fen (exact, cheap) and exposed as Decimals.

    ``instalment = principal + interest + fee`` and ``closing = opening - principal`` hold by
    construction, so they are derived rather than stored.
    """

    instalment_no: int
    due_date: date
    opening_fen: int
    principal_fen: int
    interest_fen: int
    fee_fen: int

    @classmethod
    def from_amounts(
        cls,
        *,
        instalment_no: int,
        due_date: date,
        opening_balance: Decimal,
        principal: Decimal,
        interest: Decimal,
        fee: Decimal,
    ) -> ScheduleRow:
        """Rebuild a row from stored Decimal amounts (e.g. a loan's schedule in the database)."""
        return cls(
            instalment_no,
            due_date,
            to_fen(opening_balance, field="opening_balance"),
            to_fen(principal, field="principal"),
            to_fen(interest, field="interest"),
            to_fen(fee, field="fee"),
        )

    @property
    def instalment_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen

    @property
    def closing_fen(self) -> int:
        return self.opening_fen - self.principal_fen

    @property
    def opening_balance(self) -> Decimal:
        return fen_to_decimal(self.opening_fen)

    @property
    def principal(self) -> Decimal:
        return fen_to_decimal(self.principal_fen)

    @property
    def interest(self) -> Decimal:
        return fen_to_decimal(self.interest_fen)

    @property
    def fee(self) -> Decimal:
        return fen_to_decimal(self.fee_fen)

    @property
    def instalment(self) -> Decimal:
        return fen_to_decimal(self.instalment_fen)

    @property
    def closing_balance(self) -> Decimal:
        return fen_to_decimal(self.closing_fen)

    def as_dict(self) -> dict[str, int | date | Decimal]:
        """The row's public columns, Decimals for money (what a model or serializer stores)."""
        opening, principal, interest, fee = (
            self.opening_fen,
            self.principal_fen,
            self.interest_fen,
            self.fee_fen,
        )
        return {
            "instalment_no": self.instalment_no,
            "due_date": self.due_date,
            "opening_balance": fen_to_decimal(opening),
            "principal": fen_to_decimal(principal),
            "interest": fen_to_decimal(interest),
            "fee": fen_to_decimal(fee),
            "instalment": fen_to_decimal(principal + interest + fee),
            "closing_balance": fen_to_decimal(opening - principal),
        }

    def __repr__(self) -> str:
        return (
            f"ScheduleRow(instalment_no={self.instalment_no}, due_date={self.due_date}, "
            f"opening_balance={self.opening_balance}, principal={self.principal}, "
            f"interest={self.interest}, fee={self.fee}, instalment={self.instalment}, "
            f"closing_balance={self.closing_balance})"
        )


# A frozen dataclass's generated __init__ goes through object.__setattr__ once per field, which
# is the single largest cost of building a 60-row schedule (~0.6 us a row). The engine's own rows
# are built by writing the slots directly (~0.3 us); the values are already validated here.
_new_object = object.__new__
_set_no = ScheduleRow.instalment_no.__set__  # type: ignore[attr-defined]
_set_due = ScheduleRow.due_date.__set__  # type: ignore[attr-defined]
_set_opening = ScheduleRow.opening_fen.__set__  # type: ignore[attr-defined]
_set_principal = ScheduleRow.principal_fen.__set__  # type: ignore[attr-defined]
_set_interest = ScheduleRow.interest_fen.__set__  # type: ignore[attr-defined]
_set_fee = ScheduleRow.fee_fen.__set__  # type: ignore[attr-defined]


def _row(no: int, due: date, opening: int, principal: int, interest: int, fee: int) -> ScheduleRow:
    row = _new_object(ScheduleRow)
    _set_no(row, no)
    _set_due(row, due)
    _set_opening(row, opening)
    _set_principal(row, principal)
    _set_interest(row, interest)
    _set_fee(row, fee)
    return row


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    principal: Decimal
    interest: Decimal
    fees: Decimal
    instalments: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule and the terms it was priced on.

    The terms travel with the rows because prepayment and payoff re-price from them.
    ``value_date`` is the date interest starts to run for ``rows[0]`` (the disbursement date, or
    the prepayment date for a schedule produced by ``partial_prepayment``).
    """

    rows: tuple[ScheduleRow, ...]
    method: Method
    annual_rate: Decimal
    day_count: DayCount
    value_date: date
    broken_first_period: bool = False
    fee_per_instalment: Decimal = ZERO
    balloon_amount: Decimal = ZERO

    def __post_init__(self) -> None:
        # Schedules are also rebuilt from stored rows; every property below needs one.
        if not self.rows:
            raise PricingError("empty_schedule", "a schedule needs at least one row")

    @property
    def amount_financed(self) -> Decimal:
        """The principal this schedule amortises (opening balance of its first row)."""
        return self.rows[0].opening_balance

    @property
    def term_months(self) -> int:
        return len(self.rows)

    @property
    def first_instalment_no(self) -> int:
        return self.rows[0].instalment_no

    @property
    def first_due_date(self) -> date:
        return self.rows[0].due_date

    @property
    def totals(self) -> ScheduleTotals:
        principal = interest = fees = 0
        for row in self.rows:
            principal += row.principal_fen
            interest += row.interest_fen
            fees += row.fee_fen
        return ScheduleTotals(
            principal=fen_to_decimal(principal),
            interest=fen_to_decimal(interest),
            fees=fen_to_decimal(fees),
            instalments=fen_to_decimal(principal + interest + fees),
        )


def build_schedule(
    *,
    amount_financed: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: Method | str,
    value_date: date,
    day_count: DayCount | str,
    first_due_date: date | None = None,
    fee_per_instalment: Decimal = ZERO,
    balloon_amount: Decimal = ZERO,
    first_instalment_no: int = 1,
) -> Schedule:
    """Price a repayment schedule.

    ``annual_rate`` is a fraction (Decimal("0.094822") for 9.4822 % a year).
    ``first_due_date`` defaults to value date + 1 month (month-end clamped, and later dates keep
    the value date's day: 31 Jan -> 28 Feb -> 31 Mar). When given, its day of month anchors all
    later due dates, and if it is not exactly one month after the value date the first period is
    broken (see the module docstring). ``balloon_amount`` (弹性尾款, the caller computes it from
    the car price) is required for ``balloon`` and refused for other methods: the level
    instalment amortises down to it and the last instalment is the regular one plus the balloon.
    ``fee_per_instalment`` goes into every row's ``fee`` column. ``first_instalment_no`` numbers
    the rows (restructures and prepayments continue the original numbering).

    Raises ``PricingError`` (with a ``code``) on invalid input; nothing is silently adjusted.
    """
    method = Method.parse(method)
    day_count = DayCount.parse(day_count)
    principal = to_fen(amount_financed, field="amount_financed", allow_zero=False)
    fee = to_fen(fee_per_instalment, field="fee_per_instalment")
    balloon = to_fen(balloon_amount, field="balloon_amount")
    rate_num, rate_den = rate_ratio(annual_rate, field="annual_rate", maximum=MAX_ANNUAL_RATE)
    check_term(term_months)
    check_date(value_date, "value_date")
    if type(first_instalment_no) is not int or first_instalment_no < 1:
        raise PricingError(
            "invalid_instalment_no", f"first_instalment_no must be >= 1, got {first_instalment_no}"
        )
    if method is Method.BALLOON:
        if not 0 < balloon < principal:
            raise PricingError(
                "balloon_out_of_range",
                "balloon_amount must be above 0 and below the amount financed, "
                f"got {balloon_amount}",
            )
    elif balloon:
        raise PricingError("balloon_not_allowed", f"balloon_amount is only for {Method.BALLOON}")

    if first_due_date is None:
        dates = due_dates(value_date, 1, term_months)
        broken = False
    else:
        check_date(first_due_date, "first_due_date")
        latest = add_months(value_date, MAX_FIRST_PERIOD_MONTHS)
        if not value_date < first_due_date <= latest:
            raise PricingError(
                "first_due_date_out_of_range",
                f"first_due_date must be after the value date {value_date} and no later than "
                f"{latest}, got {first_due_date}",
            )
        dates = due_dates(first_due_date, 0, term_months)
        broken = first_due_date != add_months(value_date, 1)

    monthly = (rate_num, rate_den * 12)
    if broken:
        days, year_days = period_days(value_date, dates[0], day_count)
        first = (rate_num * days, rate_den * year_days)
    else:
        first = monthly
    rows = amortise_rows(
        method=method,
        principal=principal,
        monthly=monthly,
        first=first,
        dates=dates,
        fee=fee,
        balloon=balloon,
        first_no=first_instalment_no,
    )
    return Schedule(
        rows=rows,
        method=method,
        annual_rate=annual_rate,
        day_count=day_count,
        value_date=value_date,
        broken_first_period=broken,
        fee_per_instalment=fen_to_decimal(fee),
        balloon_amount=fen_to_decimal(balloon),
    )


def reamortize(
    *,
    outstanding_principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: Method | str,
    value_date: date,
    day_count: DayCount | str,
    first_due_date: date | None = None,
    fee_per_instalment: Decimal = ZERO,
    balloon_amount: Decimal = ZERO,
    first_instalment_no: int = 1,
) -> Schedule:
    """Restructure (展期 / 重组): a new schedule for an outstanding principal on new terms.

    Pricing-wise a restructure is a new schedule whose amount is the outstanding principal and
    whose value date is the restructure date; pass ``first_instalment_no`` to continue the loan's
    numbering. Capitalising arrears or fees is the caller's decision (add them to the principal).
    """
    return build_schedule(
        amount_financed=outstanding_principal,
        annual_rate=annual_rate,
        term_months=term_months,
        method=method,
        value_date=value_date,
        day_count=day_count,
        first_due_date=first_due_date,
        fee_per_instalment=fee_per_instalment,
        balloon_amount=balloon_amount,
        first_instalment_no=first_instalment_no,
    )


def check_term(term_months: object) -> None:
    if type(term_months) is not int:
        raise PricingError("invalid_type", f"term_months must be an int, got {term_months!r}")
    if not MIN_TERM_MONTHS <= term_months <= MAX_TERM_MONTHS:
        raise PricingError(
            "term_out_of_range",
            f"term_months must be between {MIN_TERM_MONTHS} and {MAX_TERM_MONTHS}, "
            f"got {term_months}",
        )


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
        return (_row(first_no, dates[0], balance, balance, interest, fee),)
    part = instalment - interest
    if part < 0:
        raise PricingError(
            "negative_amortisation",
            "the first period's interest exceeds the instalment; choose an earlier first due date",
        )
    append(_row(first_no, dates[0], balance, part, interest, fee))
    balance -= part
    rate_num, rate_den = monthly
    twice_num = 2 * rate_num
    twice_den = 2 * rate_den
    for k in range(1, term - 1):
        # Inline div_half_up: this loop is the engine's hot path.
        interest = (balance * twice_num + rate_den) // twice_den
        part = instalment - interest
        append(_row(first_no + k, dates[k], balance, part, interest, fee))
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
    append(_row(first_no + term - 1, dates[-1], balance, balance, interest, fee))
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
    num, den = first
    for k, due in enumerate(dates):
        interest = (2 * balance * num + den) // (2 * den)
        part = parts[k]
        append(_row(first_no + k, due, balance, part, interest, fee))
        balance -= part
        if k == 0:
            num, den = monthly
    return tuple(rows)
