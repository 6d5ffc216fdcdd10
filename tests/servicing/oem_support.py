"""Helpers for the OEM subsidy tests: a subsidised loan through funding, the nightly recognition
step run day by day, and the books compared with the subsidy and claim sub-ledgers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F, Sum

from servicing.eod.registry import StepContext
from servicing.eod.steps.oem_subsidy import oem_subsidy_chunk
from servicing.models.loans import Loan
from servicing.models.oem_claims import OemClaim, OemSubsidyPeriod
from servicing.selectors.ledger import account_balance
from tests.servicing.loan_factory import loan_through_funding

D = Decimal
ZERO = D("0.00")
# no lock-in and no settlement fee: the early-settlement tests settle in the second month
RULES = {"penalty_markup": "0.5", "lock_in_months": 0, "early_settlement_fee_rate": "0"}


def subsidised_loan(*, vin: str = "", amount: str = "30000.00") -> Loan:
    """¥30,000 over 3 months, 0 % to the customer, 6 % to the lender, no fee."""
    loan = loan_through_funding(
        amount=amount, rate="0.06", customer_rate="0", term=3, fee="0.00", rules=RULES
    )
    if vin:
        # the sandbox OEM's test identities are VIN suffixes (servicing.partner_adapters)
        Loan.objects.filter(pk=loan.pk).update(vin=vin)
        loan.refresh_from_db()
    return loan


def recognise(start: dt.date, end: dt.date, loans: list[Loan]) -> None:
    """The nightly recognition step for every day from start to end inclusive."""
    lo, hi = min(x.pk for x in loans), max(x.pk for x in loans)
    day = start
    while day <= end:
        oem_subsidy_chunk(StepContext(business_date=day, batch_id=0, step_id=0), lo, hi)
        day += dt.timedelta(days=1)


def books_agree() -> dict:
    """The three subsidy accounts equal their sub-ledgers to the fen; returns the balances."""
    periods = OemSubsidyPeriod.objects.filter(cancelled=False)
    unrecognised = periods.aggregate(s=Sum(F("amount") - F("recognised")))["s"] or ZERO
    unbilled = periods.filter(claim_line__isnull=True).aggregate(s=Sum("amount"))["s"] or ZERO
    outstanding = sum((c.outstanding for c in OemClaim.objects.all()), ZERO)
    got = {
        "deferred": account_balance(account_code="oem_subsidy_deferred"),
        "unbilled": account_balance(account_code="oem_subsidy_unbilled"),
        "receivable": account_balance(account_code="oem_subsidy_receivable"),
    }
    assert got == {"deferred": unrecognised, "unbilled": unbilled, "receivable": outstanding}
    return got
