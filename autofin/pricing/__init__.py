"""AutoFin pricing engine: pure Python, no Django.

Repayment schedules, APR disclosure, OEM subsidy, early settlement and partial prepayment.
Money is Decimal at the interface (two places, ROUND_HALF_UP to the fen); rates are Decimal
fractions (Decimal("0.094822") for 9.4822 % a year). Invalid input raises ``PricingError`` with a
``code``.
"""

from autofin.pricing.amortisation import Method
from autofin.pricing.apr import (
    APR_METHOD,
    apr_irr,
    apr_percent,
    apr_to_flat_rate,
    flat_rate_to_apr,
    monthly_irr,
)
from autofin.pricing.dates import DayCount, add_months, days_30e_360
from autofin.pricing.errors import EarlySettlementLockedError, PricingError
from autofin.pricing.rates import (
    PENALTY_MARKUP_MAX,
    PENALTY_MARKUP_MIN,
    RATE_PLACES,
    RATE_ROUNDING,
    penalty_markup_allowed,
    penalty_rate,
    quantize_rate,
)
from autofin.pricing.rows import ReadOutRow, ScheduleRow
from autofin.pricing.schedule import (
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    Schedule,
    ScheduleTotals,
    build_schedule,
    reamortize,
)
from autofin.pricing.settlement import (
    PayoffQuote,
    PrepaymentOption,
    partial_prepayment,
    payoff_quote,
)
from autofin.pricing.subsidy import subsidy_amount

__all__ = [
    "APR_METHOD",
    "MAX_TERM_MONTHS",
    "MIN_TERM_MONTHS",
    "PENALTY_MARKUP_MAX",
    "PENALTY_MARKUP_MIN",
    "RATE_PLACES",
    "RATE_ROUNDING",
    "DayCount",
    "EarlySettlementLockedError",
    "Method",
    "PayoffQuote",
    "PrepaymentOption",
    "PricingError",
    "ReadOutRow",
    "Schedule",
    "ScheduleRow",
    "ScheduleTotals",
    "add_months",
    "apr_irr",
    "apr_percent",
    "apr_to_flat_rate",
    "build_schedule",
    "days_30e_360",
    "flat_rate_to_apr",
    "monthly_irr",
    "partial_prepayment",
    "penalty_markup_allowed",
    "penalty_rate",
    "payoff_quote",
    "quantize_rate",
    "reamortize",
    "subsidy_amount",
]
