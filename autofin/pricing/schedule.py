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
``autofin.pricing.money``) and stored as ints in named tuples; the public money attributes are
Decimal properties built on access, and ``Schedule.rows_read_out`` makes each Decimal of a whole
schedule once. ``bench/schedules.py`` measures it; tests/pricing/test_schedule_golden.py holds
every figure to the fen on thousands of random schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from autofin.pricing.amortisation import Method, amortise_rows
from autofin.pricing.dates import DayCount, add_months, check_date, due_dates, period_days
from autofin.pricing.errors import PricingError
from autofin.pricing.money import FEN, ZERO, fen_to_decimal, rate_ratio, to_fen
from autofin.pricing.rows import ReadOutRow, ScheduleRow

MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 120
MAX_ANNUAL_RATE = Decimal(1)
# A first period longer than two months is a data-entry error, not a product.
MAX_FIRST_PERIOD_MONTHS = 2


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

    def rows_read_out(self) -> list[ReadOutRow]:
        """Every row with its Decimals (a ``ReadOutRow`` each, equal to the row's ``as_dict()``),
        for whoever reads the whole schedule (a model save, a serializer, a contract, a page).

        Making the Decimals is the read-out's main cost (bench/schedules.py), so each is made
        once and only when its figure changes: a row's closing balance is the next row's opening
        balance, the fee and the level instalment repeat on every row, equal principal repeats
        its part and interest only its interest and balance. ``FEN * fen`` is the same exact
        multiplication as ``fen_to_decimal`` (two places, no rounding) without its call.
        """
        fen = FEN
        row = ReadOutRow
        out: list[ReadOutRow] = []
        append = out.append
        # None never equals a figure: the first row makes every Decimal.
        carried_fen = principal_was = interest_was = fee_was = instalment_was = None
        carried = principal_dec = interest_dec = fee_dec = instalment_dec = ZERO
        # Unpacking the row (a tuple) is cheaper than reading its fields one by one.
        for no, due, opening, principal, interest, fee in self.rows:
            opening_dec = carried if opening == carried_fen else fen * opening
            if principal != principal_was:
                principal_was, principal_dec = principal, fen * principal
            if interest != interest_was:
                interest_was, interest_dec = interest, fen * interest
            if fee != fee_was:
                fee_was, fee_dec = fee, fen * fee
            instalment = principal + interest + fee
            if instalment != instalment_was:
                instalment_was, instalment_dec = instalment, fen * instalment
            carried_fen = opening - principal
            if not principal:
                carried = opening_dec
            elif carried_fen:
                # Two Decimals of two places subtract exactly, without converting an int.
                carried = opening_dec - principal_dec
            else:
                # Not the subtraction: its exact zero takes its sign from the context's rounding
                # (Decimal("-0.00") under ROUND_FLOOR); FEN * 0 never does.
                carried = ZERO
            append(row((
                no, due, opening_dec, principal_dec, interest_dec, fee_dec, instalment_dec, carried
            )))  # fmt: skip
        return out

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


# A frozen dataclass's __init__ sets each of its eight fields through object.__setattr__, about a
# twentieth of building a whole schedule; the engine's own schedules (never empty: the term is at
# least one month) are made by writing the slots directly.
_new_object = object.__new__
_SCHEDULE_SLOTS = tuple(
    getattr(Schedule, name).__set__
    for name in (
        "rows", "method", "annual_rate", "day_count", "value_date", "broken_first_period",
        "fee_per_instalment", "balloon_amount",
    )
)  # fmt: skip


def schedule_new(
    rows: tuple[ScheduleRow, ...],
    method: Method,
    annual_rate: Decimal,
    day_count: DayCount,
    value_date: date,
    broken_first_period: bool,
    fee_per_instalment: Decimal,
    balloon_amount: Decimal,
) -> Schedule:
    """``Schedule(...)`` for the engine's validated, non-empty rows, without the dataclass's
    per-field ``object.__setattr__``."""
    schedule = _new_object(Schedule)
    (
        set_rows,
        set_method,
        set_rate,
        set_day_count,
        set_value_date,
        set_broken,
        set_fee,
        set_balloon,
    ) = _SCHEDULE_SLOTS
    set_rows(schedule, rows)
    set_method(schedule, method)
    set_rate(schedule, annual_rate)
    set_day_count(schedule, day_count)
    set_value_date(schedule, value_date)
    set_broken(schedule, broken_first_period)
    set_fee(schedule, fee_per_instalment)
    set_balloon(schedule, balloon_amount)
    return schedule


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
    _check_instalment_no(first_instalment_no)
    _check_balloon(method, balloon, principal, balloon_amount)
    dates, broken = _due_dates(value_date, first_due_date, term_months)
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
    return schedule_new(
        rows,
        method,
        annual_rate,
        day_count,
        value_date,
        broken,
        fen_to_decimal(fee),
        fen_to_decimal(balloon),
    )


def _check_instalment_no(first_instalment_no: object) -> None:
    if type(first_instalment_no) is not int or first_instalment_no < 1:
        raise PricingError(
            "invalid_instalment_no", f"first_instalment_no must be >= 1, got {first_instalment_no}"
        )


def _check_balloon(method: Method, balloon: int, principal: int, balloon_amount: Decimal) -> None:
    """A balloon loan needs a balloon inside (0, principal); no other method takes one."""
    if method is Method.BALLOON:
        if not 0 < balloon < principal:
            raise PricingError(
                "balloon_out_of_range",
                "balloon_amount must be above 0 and below the amount financed, "
                f"got {balloon_amount}",
            )
    elif balloon:
        raise PricingError("balloon_not_allowed", f"balloon_amount is only for {Method.BALLOON}")


def _due_dates(
    value_date: date, first_due_date: date | None, term_months: int
) -> tuple[tuple[date, ...], bool]:
    """The due dates, and whether the first period is broken (not exactly one month long)."""
    if first_due_date is None:
        return due_dates(value_date, 1, term_months), False
    check_date(first_due_date, "first_due_date")
    latest = add_months(value_date, MAX_FIRST_PERIOD_MONTHS)
    if not value_date < first_due_date <= latest:
        raise PricingError(
            "first_due_date_out_of_range",
            f"first_due_date must be after the value date {value_date} and no later than "
            f"{latest}, got {first_due_date}",
        )
    dates = due_dates(first_due_date, 0, term_months)
    return dates, first_due_date != add_months(value_date, 1)


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
