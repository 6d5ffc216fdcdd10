"""The servicing rules that both Python and the nightly SQL apply, each defined ONCE here.

Days past due, the past-due tolerance (容差), delinquency buckets, the collections queue of a
bucket, the five-category classification (五级分类), non-accrual, the penalty day count and
the closed loan statuses. Python code calls the functions (`dpd`, `is_closed`, ...); set-based
SQL embeds the expressions the `*_sql` functions generate from the same tables (the bands, the
queues, non-accrual: only the batch's SQL applies those), so the two can never drift apart
(tests/servicing/test_loan_rules.py runs the generated SQL on PostgreSQL at every boundary).

Days past due (逾期天数) as of a date A (the next business date when the batch closes D, the
posting date online): the arrears are the unpaid amounts (principal, interest, fees, penalty) of
the rows in force due before A. The loan is past due when the arrears reach the past-due
tolerance (business policy `servicing.past_due_tolerance`, 0.00 to start): arrears UNDER the
tolerance do not make it overdue, arrears EQUAL to it do (so a zero tolerance means any unpaid
fen counts, as before). Past due, its DPD is A minus the oldest due date with an unpaid amount;
otherwise 0. The tolerance decides the loan's status, DPD, bucket, classification, collections
and charge-off alike; it does not waive the amount nor the penalty interest the contract
charges on an unpaid instalment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from autofin.policy import policy_value

ZERO = Decimal("0.00")
FEN = Decimal("0.01")

# --- closed loan statuses ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedStatus:
    code: str
    # Closed by payment in full (early settlement, payoff; later a dealer's repurchase, a lease
    # ended with the buyout paid): nothing is past due any more, a collections case closes as
    # settled. Otherwise (charge-off; later repossession) the last delinquency stays on record.
    repaid: bool
    # The loan's receivables left its ledger without its schedule rows being paid (charged off;
    # a repurchase moved them to the dealer): the rows no longer mirror the ledger, so the
    # stored-figures reconciliation leaves such a loan out.
    written_off: bool = False


# The extension point: a later closing status (repurchased, repossessed, lease_ended) joins by
# one line here; every Python check (`is_closed`) and every SQL list (`closed_sql`) follows.
CLOSED = (
    ClosedStatus("settled_early", repaid=True),
    ClosedStatus("paid_off", repaid=True),
    ClosedStatus("charged_off", repaid=False, written_off=True),
    # 已回购: the dealer bought the loan back at its outstanding balance (servicing.services.
    # repurchases); paid in full as far as the customer's record goes
    ClosedStatus("repurchased", repaid=True, written_off=True),
)
CLOSED_STATUSES = frozenset(s.code for s in CLOSED)
REPAID_STATUSES = frozenset(s.code for s in CLOSED if s.repaid)
WRITTEN_OFF_STATUSES = frozenset(s.code for s in CLOSED if s.written_off)


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def _sql_list(codes: Iterable[str]) -> str:
    # codes are identifiers declared above, never user input
    return "(" + ", ".join(f"'{c}'" for c in sorted(codes)) + ")"


def closed_sql() -> str:
    """``('charged_off', 'paid_off', 'settled_early')`` for ``status [NOT] IN ...``."""
    return _sql_list(CLOSED_STATUSES)


def repaid_sql() -> str:
    return _sql_list(REPAID_STATUSES)


def written_off_sql() -> str:
    return _sql_list(WRITTEN_OFF_STATUSES)


# --- days past due and the tolerance ------------------------------------------------------------

TOLERANCE_POLICY = "servicing.past_due_tolerance"


def past_due_tolerance(*, on: dt.date) -> Decimal:
    """The tolerance in force on business date `on` (audited business policy)."""
    return policy_value(TOLERANCE_POLICY, on=on)


def is_past_due(arrears: Decimal, tolerance: Decimal) -> bool:
    """Arrears under the tolerance do not make a loan overdue; at the tolerance they do."""
    return arrears > 0 and arrears >= tolerance


def dpd(*, oldest_due: dt.date | None, arrears: Decimal, as_of: dt.date, tolerance: Decimal) -> int:
    """Days past due as of `as_of`: `oldest_due` is the oldest due date before `as_of` with an
    unpaid amount, `arrears` the unpaid amounts of all rows due before `as_of`."""
    if oldest_due is None or not is_past_due(arrears, tolerance):
        return 0
    return (as_of - oldest_due).days


def dpd_of_rows(rows: Iterable, *, as_of: dt.date, tolerance: Decimal) -> int:
    """`dpd` of schedule rows in force (objects with due_date and amount_unpaid)."""
    owing = [r for r in rows if r.due_date < as_of and r.amount_unpaid > 0]
    return dpd(
        oldest_due=min((r.due_date for r in owing), default=None),
        arrears=sum((r.amount_unpaid for r in owing), ZERO),
        as_of=as_of,
        tolerance=tolerance,
    )


def dpd_sql(*, oldest: str, arrears: str, as_of: str, tolerance: str) -> str:
    """`dpd` as SQL over the given expressions (a date, a numeric, a date, a numeric)."""
    return (
        f"(CASE WHEN {oldest} IS NULL OR NOT ({arrears} > 0 AND {arrears} >= {tolerance})"
        f" THEN 0 ELSE ({as_of} - {oldest}) END)"
    )


# --- buckets, queues, five categories, non-accrual ----------------------------------------------

# (highest DPD of the band, name); above the last band: the open-ended name
BUCKETS = ((0, "M0"), (30, "M1"), (60, "M2"), (90, "M3"), (120, "M4"), (150, "M5"), (180, "M6"))
BUCKET_OVER = "M7+"
BUCKET_NAMES = (*(name for _limit, name in BUCKETS), BUCKET_OVER)

CLASSIFICATIONS = ((0, "normal"), (90, "special_mention"), (180, "substandard"), (360, "doubtful"))
CLASSIFICATION_OVER = "loss"

# a collections queue per bucket (M0 has no case)
QUEUES = {"M1": "soft", "M2": "call", "M3": "call"}
QUEUE_OTHER = "field_legal"

# interest stops being recognised as income above this DPD (off-balance, 表外)
NON_ACCRUAL_DPD = 90


def _band_sql(expr: str, bands: tuple[tuple[int, str], ...], over: str) -> str:
    whens = " ".join(f"WHEN {expr} <= {int(limit)} THEN '{name}'" for limit, name in bands)
    return f"(CASE {whens} ELSE '{over}' END)"


def bucket_sql(expr: str) -> str:
    return _band_sql(expr, BUCKETS, BUCKET_OVER)


def classification_sql(expr: str) -> str:
    return _band_sql(expr, CLASSIFICATIONS, CLASSIFICATION_OVER)


def queue_sql(bucket_expr: str) -> str:
    whens = " ".join(f"WHEN {bucket_expr} = '{b}' THEN '{q}'" for b, q in QUEUES.items())
    return f"(CASE {whens} ELSE '{QUEUE_OTHER}' END)"


def non_accrual_sql(expr: str) -> str:
    return f"({expr} > {NON_ACCRUAL_DPD})"


# --- penalty interest day count -----------------------------------------------------------------

# Penalty interest (罚息) accrues per day at the annual penalty rate / 360, rounded half-up to
# the fen per day. The RATE is the contract's (autofin.pricing); this is only the day count.
PENALTY_YEAR_DAYS = 360


def penalty_daily(base: Decimal, annual_rate: Decimal) -> Decimal:
    return (base * annual_rate / PENALTY_YEAR_DAYS).quantize(FEN, rounding=ROUND_HALF_UP)


def penalty_daily_sql(base: str, annual_rate: str) -> str:
    # PostgreSQL's round(numeric, 2) rounds half away from zero: half-up for these positive bases
    return f"round({base} * {annual_rate} / {PENALTY_YEAR_DAYS}, 2)"


# --- expected credit loss stages (CAS 22 / IFRS 9) ----------------------------------------------

# Stage 3 (credit-impaired): the five-category classes from 次级 down, i.e. past NON_ACCRUAL_DPD
# (the classification bands above start 次级 at 91). Stage 2 (significant increase in credit
# risk): past ECL_STAGE2_DPD (not every 关注 loan: 关注 starts at 1 DPD), or restructured, or an
# early-warning level of ECL_STAGE2_WARNING. Stage 1: the rest. Closed loans are derecognised.
ECL_IMPAIRED_CLASSES = ("substandard", "doubtful", "loss")
ECL_STAGE2_DPD = 30
ECL_STAGE2_WARNING = "high"
# Only the month-end run's SQL stages loans, so the rule has no Python twin (like the bands).


def ecl_stage_sql(*, dpd: str, restructured: str, warning_level: str) -> str:
    """`ecl_stage` as SQL over the given expressions (an integer, a boolean, a text)."""
    return (
        f"(CASE WHEN {classification_sql(dpd)} IN {_sql_list(ECL_IMPAIRED_CLASSES)} THEN 3"
        f" WHEN {dpd} > {ECL_STAGE2_DPD} OR {restructured}"
        f" OR {warning_level} = '{ECL_STAGE2_WARNING}' THEN 2 ELSE 1 END)"
    )


# --- stage-3 interest on the net carrying amount (CAS 22) ---------------------------------------

# A stage-3 loan is exactly a non-accrual one: both start past NON_ACCRUAL_DPD (test_stage3_*).
# Its contractual interest goes to the off-balance memo pair; CAS 22 still recognises interest
# income on the net carrying amount, (principal − allowance) × the effective rate × days / 365,
# half-up to the fen per night. The schedule rate is the effective rate: fees are income when
# due, never amortised into the yield. The income is released from the allowance (Dr allowance /
# Cr interest income: the unwinding of the discount the ECL holds), never more than the allowance
# left, so the loan's net carrying amount, not its gross, earns.
NET_INTEREST_YEAR_DAYS = 365


def stage3_interest_sql(*, principal: str, allowance: str, rate: str, days: str) -> str:
    return (
        f"round(greatest({principal} - {allowance}, 0) * {rate} * {days}"
        f" / {NET_INTEREST_YEAR_DAYS}, 2)"
    )
