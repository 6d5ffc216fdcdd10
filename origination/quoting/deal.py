"""What the customer asks for (``Deal`` with its ``AddOn``s) and every figure of its quote
(``QuoteEvaluation``, with its ``FeeLine``s)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from autofin.pricing import APR_METHOD, Schedule
from origination.quoting.figures import ZERO
from origination.quoting.violations import Violations


@dataclass(frozen=True, slots=True)
class AddOn:
    item_kind: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Deal:
    """What the customer asks for. Give ``down_payment`` or ``down_payment_ratio``.

    ``lpr_rate`` is the loan prime rate in force for the product's tenor (the caller looks it
    up; only LPR-linked products need it)."""

    vehicle_kind: str
    vehicle_use: str
    vehicle_price: Decimal
    term_months: int
    method: str
    tier: str
    value_date: date | None = None  # required; services fill in the business date
    down_payment: Decimal | None = None
    down_payment_ratio: Decimal | None = None
    balloon_ratio: Decimal | None = None
    add_ons: tuple[AddOn, ...] = ()
    first_registration_date: date | None = None
    lpr_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FeeLine:
    fee_kind: str
    amount: Decimal  # per instalment when per_instalment
    financed: bool
    per_instalment: bool = False


@dataclass(frozen=True)
class QuoteEvaluation:
    """Every figure of a quote. Unpacks as ``schedule, apr, fees, violations``."""

    schedule: Schedule | None
    apr: Decimal | None
    fees: tuple[FeeLine, ...]
    violations: Violations
    down_payment: Decimal | None = None
    down_payment_ratio: Decimal | None = None  # 4 places, half-up
    vehicle_amount_financed: Decimal | None = None  # the car's part
    ltv: Decimal | None = None  # 4 places, half-up
    add_ons_total: Decimal = ZERO
    financed_fees: Decimal = ZERO
    upfront_fees: Decimal = ZERO
    amount_financed: Decimal | None = None
    balloon_amount: Decimal = ZERO
    customer_rate: Decimal | None = None
    lender_rate: Decimal | None = None  # the lender's yield; above customer_rate when subsidised
    subsidy_amount: Decimal = ZERO
    penalty_rate: Decimal | None = None
    apr_method: str = APR_METHOD

    def __iter__(self) -> Iterator:
        return iter((self.schedule, self.apr, self.fees, self.violations))

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def monthly_payment(self) -> Decimal | None:
        """The first instalment (level for equal instalments; the largest for equal principal)."""
        return self.schedule.rows[0].instalment if self.schedule else None
