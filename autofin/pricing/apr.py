"""APR disclosure (年化利率, IRR method) and flat-rate conversions.

PBoC Announcement [2021] No. 3 requires lenders to disclose the annualised rate computed with the
IRR method: the monthly internal rate of return that equates the cash the customer actually
receives with the payments the customer makes, times 12 (nominal annualisation, not compounded).

Choices made here:

* the figure is a fraction quantized to 4 decimal places, ROUND_HALF_UP (0.0948 = 9.48 %);
  ``apr_percent`` gives the same figure as a percentage with 2 places for display;
* periods are whole months: payment k is discounted k months, also when the first period is
  broken (the PBoC's worked examples use whole periods);
* the root is found by Newton's method with a bisection fallback in 40-digit Decimal arithmetic,
  to a tolerance of 1e-15 on the monthly rate; the quantized figure is then *verified* exactly:
  the NPV is evaluated in rational arithmetic at both rounding boundaries of the figure, and the
  figure is moved by a basis point if the verification disagrees. So the disclosed 4-place APR is
  exact, whatever the floating behaviour of the solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from autofin.pricing.errors import PricingError
from autofin.pricing.money import ZERO, fraction_half_up, rate_ratio, to_fen
from autofin.pricing.schedule import Schedule, check_term

APR_METHOD = "IRR method (PBoC 2021 No. 3)"
APR_PLACES = 4
IRR_TOLERANCE = Decimal("1e-15")  # on the monthly rate
_BASIS_POINT = Fraction(1, 10**APR_PLACES)
_HALF_BASIS_POINT = _BASIS_POINT / 2
_MAX_ITERATIONS = 200
_MAX_MONTHLY_RATE = Decimal(100)  # 10,000 % a month: beyond it the figure means nothing


def apr_irr(schedule: Schedule, *, upfront_fees: Decimal = ZERO) -> Decimal:
    """The APR (IRR method, PBoC 2021 No. 3) of a schedule, a fraction with 4 places.

    ``upfront_fees`` is every fee the customer does not receive as cash: fees paid at signing,
    fees deducted from the disbursement, and fees financed into the amount financed (the
    customer owes them but never receives them; handling fee, GPS fee ...). The customer receives
    amount financed - upfront_fees and pays every row's ``instalment`` (principal + interest +
    the ``fee`` column).
    """
    fees = to_fen(upfront_fees, field="upfront_fees")
    principal = schedule.rows[0].opening_fen
    if fees >= principal:
        raise PricingError("fees_out_of_range", "upfront_fees must be below the amount financed")
    payments = [Fraction(row.instalment_fen) for row in schedule.rows]
    return _quantized_apr(Fraction(principal - fees), payments)


def apr_percent(apr: Decimal) -> Decimal:
    """A fractional APR as a percentage with 2 places for display: 0.0948 -> Decimal('9.48')."""
    return (apr * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def monthly_irr(*, advance: Decimal, payments: Sequence[Decimal]) -> Decimal:
    """The monthly IRR of ``advance`` received now against ``payments`` at months 1..n.

    Not quantized (40 significant digits, accurate to IRR_TOLERANCE); for disclosure use
    ``apr_irr``, which also verifies its rounding exactly. The advance must be positive and the
    payments non-negative (not all zero), so that the IRR is unique.
    """
    if not payments or advance <= 0 or min(payments) < 0 or max(payments) == 0:
        raise PricingError(
            "invalid_cash_flows", "need a positive advance and non-negative payments, not all 0"
        )
    return _solve_monthly(Fraction(advance), [Fraction(p) for p in payments])


def flat_rate_to_apr(flat_rate: Decimal, term_months: int) -> Decimal:
    """APR (IRR method, 4 places) of an equal-instalment quote priced at a flat rate (年费率).

    Flat rate = total interest / principal / years, so every instalment is
    principal x (1 + flat x n / 12) / n. The instalment is taken unrounded: this is a rate
    conversion, independent of the amount.
    """
    rate_num, rate_den = rate_ratio(flat_rate, field="flat_rate")
    check_term(term_months)
    payment = Fraction(1, term_months) + Fraction(rate_num, rate_den * 12)
    return _quantized_apr(Fraction(1), [payment] * term_months)


def apr_to_flat_rate(apr: Decimal, term_months: int) -> Decimal:
    """The flat rate (4 places, ROUND_HALF_UP) whose equal instalments have this APR.

    Inverse of ``flat_rate_to_apr`` up to rounding: flat -> APR -> flat returns the same 4-place
    flat rate, while APR -> flat -> APR can move by one basis point (a basis point of flat rate is
    worth almost two of APR).
    """
    rate_num, rate_den = rate_ratio(apr, field="apr")
    check_term(term_months)
    monthly = Fraction(rate_num, rate_den * 12)
    if monthly == 0:
        payment = Fraction(1, term_months)
    else:
        payment = monthly / (1 - (1 + monthly) ** -term_months)
    flat = (payment * term_months - 1) * 12 / term_months
    return Decimal(fraction_half_up(flat * 10**APR_PLACES)).scaleb(-APR_PLACES)


def _quantized_apr(advance: Fraction, payments: Sequence[Fraction]) -> Decimal:
    """12 x monthly IRR, quantized half-up to 4 places and verified in exact arithmetic."""
    if sum(payments) < advance:
        # A negative APR is not a disclosure anyone should print.
        raise PricingError("apr_undefined", "the payments are smaller than the amount received")
    monthly = _solve_monthly(advance, payments)
    basis_points = fraction_half_up(Fraction(monthly) * 12 * 10**APR_PLACES)
    # Half-up on a non-negative figure: x bp is right iff x - 1/2 <= true APR in bp < x + 1/2.
    # The NPV falls as the rate rises, so "true APR >= y" is "NPV at y / 12 >= 0".
    for _ in range(_MAX_ITERATIONS):
        apr = basis_points * _BASIS_POINT
        if _npv(apr - _HALF_BASIS_POINT, advance, payments) < 0:
            basis_points -= 1
        elif _npv(apr + _HALF_BASIS_POINT, advance, payments) >= 0:
            basis_points += 1
        else:
            return Decimal(basis_points).scaleb(-APR_PLACES)
    raise PricingError("apr_not_converged", "the APR could not be verified")  # pragma: no cover


def _npv(annual_rate: Fraction, advance: Fraction, payments: Sequence[Fraction]) -> Fraction:
    """Exact sum of payments discounted at annual_rate / 12 per month, minus the advance."""
    growth = 1 + annual_rate / 12
    # Horner from the last payment: ((p_n / g + p_{n-1}) / g + ...) / g
    value = Fraction(0)
    for payment in reversed(payments):
        value = (value + payment) / growth
    return value - advance


def _solve_monthly(advance: Fraction, payments: Sequence[Fraction]) -> Decimal:
    """Newton's method on f(r) = sum p_k (1+r)^-k - A, bisection whenever Newton leaves the
    bracket. f decreases in r (payments are positive), so the sign of f tells which side of the
    root r is on, and the bracket [low, high] always holds the root."""
    with localcontext() as ctx:
        ctx.prec = 40
        amount = Decimal(advance.numerator) / Decimal(advance.denominator)
        flows = [Decimal(p.numerator) / Decimal(p.denominator) for p in payments]
        total = sum(flows)
        if total == amount:
            return Decimal(0)

        def f_and_slope(rate: Decimal) -> tuple[Decimal, Decimal]:
            discount = 1 / (1 + rate)
            factor = Decimal(1)
            value = -amount
            slope = Decimal(0)
            for k, flow in enumerate(flows, start=1):
                factor *= discount
                value += flow * factor
                slope -= k * flow * factor * discount
            return value, slope

        low, high = Decimal("-0.99"), Decimal(1)
        while f_and_slope(high)[0] > 0:
            low, high = high, high * 2
            if high > _MAX_MONTHLY_RATE:
                raise PricingError("apr_out_of_range", "the APR is beyond any sensible figure")
        # Start from the flat-rate approximation, usually within a few percent of the root.
        rate = 2 * (total - amount) / (amount * (len(flows) + 1))
        if not low < rate < high:
            rate = (low + high) / 2
        for _ in range(_MAX_ITERATIONS):
            value, slope = f_and_slope(rate)
            if value == 0:
                return +rate
            if value > 0:
                low = rate
            else:
                high = rate
            candidate = rate - value / slope
            if not low < candidate < high:
                candidate = (low + high) / 2
            if abs(candidate - rate) < IRR_TOLERANCE:
                return +candidate
            rate = candidate
    raise PricingError("apr_not_converged", "the IRR did not converge")  # pragma: no cover
