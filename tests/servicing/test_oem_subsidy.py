"""OEM interest subsidies (厂商贴息): deferred at funding, recognised day by day by the
effective-interest method exactly over the term, and settled per the OEM agreement's option
when the loan ends early (early settlement, charge-off) — the three subsidy accounts equal
their sub-ledgers to the fen at every step.

The loan: ¥30,000, 3 months, 0 % to the customer, 6 % to the lender (oem_support). The subsidy
is 30,000 - 10,000 x (1/1.005 + 1/1.005² + 1/1.005³) = 297.52; carrying 29,702.48 earns 0.5 %
a month: 148.51 in the first period, 247.77 - 148.51 = 99.26 in the second (running total
rounded half up), and the last takes the remainder 49.75."""

from __future__ import annotations

import datetime as dt

import pytest

from servicing.models import JournalEntry
from servicing.models.oem_claims import EarlySettlementOption, OemClaim, OemSubsidy
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.accrual import loan_accrue
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.oem.claims import oem_claims_generate
from servicing.services.repayments.posting import repayment_post
from servicing.services.settlement.early import payoff_quote_issue
from tests.servicing.loan_helpers import set_day
from tests.servicing.oem_support import ZERO, D, books_agree, recognise, subsidised_loan

pytestmark = pytest.mark.django_db

FEB_END = dt.date(2026, 2, 28)


def test_the_subsidy_is_deferred_at_funding_and_recognised_exactly_over_the_term():
    loan = subsidised_loan()
    subsidy = OemSubsidy.objects.get(loan=loan)
    assert (subsidy.amount, subsidy.agreement.name) == (D("297.52"), "星辰汽车")
    assert [(p.start, p.end, p.amount) for p in subsidy.periods.order_by("seq")] == [
        (dt.date(2026, 1, 15), dt.date(2026, 2, 15), D("148.51")),
        (dt.date(2026, 2, 15), dt.date(2026, 3, 15), D("99.26")),
        (dt.date(2026, 3, 15), dt.date(2026, 4, 15), D("49.75")),
    ]
    balances = loan_balances(loan_id=loan.pk)
    assert (balances["oem_subsidy_unbilled"], balances["oem_subsidy_deferred"]) == (
        D("297.52"),
        D("297.52"),
    )
    recognise(dt.date(2026, 1, 15), dt.date(2026, 1, 20), [loan])
    # 5 of the first period's 31 days: 148.51 x 5 / 31 = 23.953 -> 23.95
    assert loan_balances(loan_id=loan.pk)["oem_subsidy_income"] == D("23.95")
    assert books_agree()["deferred"] == D("273.57")
    recognise(dt.date(2026, 1, 21), dt.date(2026, 2, 15), [loan])
    assert loan_balances(loan_id=loan.pk)["oem_subsidy_income"] == D("148.51")
    recognise(dt.date(2026, 2, 16), dt.date(2026, 4, 20), [loan])
    balances = loan_balances(loan_id=loan.pk)
    assert (balances["oem_subsidy_income"], balances["oem_subsidy_deferred"]) == (
        D("297.52"),
        ZERO,
    )
    books_agree()
    # a re-run of a day already recognised posts nothing
    entries = JournalEntry.objects.count()
    recognise(dt.date(2026, 4, 20), dt.date(2026, 4, 20), [loan])
    assert JournalEntry.objects.count() == entries
    assert trial_balance().total == 0


def _settle_early(loan, day: dt.date) -> None:
    set_day(day)
    loan_accrue(loan_id=loan.pk, through=day - dt.timedelta(days=1))
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer, idempotency_key=f"q-{loan.pk}")
    repayment_post(loan_id=loan.pk, amount=quote.total, source="online", actor="pay",
                   purpose="payoff", payoff_quote_id=quote.pk)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "settled_early"


def _claimed_february(option: str):
    """A loan whose first period was claimed in February, recognised to 5 March."""
    loan = subsidised_loan()
    OemSubsidy.objects.get(loan=loan).agreement.__class__.objects.filter(
        subsidies__loan=loan
    ).update(early_settlement_option=option)
    recognise(dt.date(2026, 1, 15), FEB_END, [loan])
    first = loan.schedule_rows()[0]
    set_day(first.due_date)
    loan_accrue(loan_id=loan.pk, through=first.due_date)
    repayment_post(loan_id=loan.pk, amount=first.instalment, source="auto_debit", actor="bank")
    set_day(FEB_END)
    assert oem_claims_generate(on=FEB_END, actor="eod")["amount"] == "148.51"
    recognise(dt.date(2026, 3, 1), dt.date(2026, 3, 4), [loan])
    # 17 of the second period's 28 days: 99.26 x 17 / 28 = 60.265 -> 60.27
    assert loan_balances(loan_id=loan.pk)["oem_subsidy_income"] == D("148.51") + D("60.27")
    return loan


@pytest.mark.parametrize(
    ("option", "income", "unbilled", "receivable", "clawed_back"),
    [
        # the OEM pays on as scheduled: everything is earned now, 99.26 + 49.75 still claimed
        (EarlySettlementOption.KEEPS_PAYING, "297.52", "149.01", "148.51", "0.00"),
        # nothing more is claimed: the claimed period is earned, the 60.27 of March given up
        (EarlySettlementOption.STOPS, "148.51", "0.00", "148.51", "0.00"),
        # the OEM takes back the 148.51 it was billed: nothing of the subsidy is earned
        (EarlySettlementOption.CLAWBACK, "0.00", "0.00", "0.00", "148.51"),
    ],
)
def test_early_settlement_settles_the_subsidy_per_the_agreement(
    option, income, unbilled, receivable, clawed_back
):
    loan = _claimed_february(option)
    _settle_early(loan, dt.date(2026, 3, 5))
    balances = loan_balances(loan_id=loan.pk)
    assert balances.get("oem_subsidy_income", ZERO) == D(income)
    assert balances.get("oem_subsidy_deferred", ZERO) == ZERO
    assert balances.get("oem_subsidy_unbilled", ZERO) == D(unbilled)
    got = books_agree()
    assert got["receivable"] == D(receivable)
    march = OemClaim.objects.filter(month=dt.date(2026, 3, 1)).first()
    assert (march.clawed_back if march else ZERO) == D(clawed_back)
    subsidy = OemSubsidy.objects.get(loan=loan)
    assert (subsidy.status, subsidy.end_option) == ("ended", option)
    # the nightly step recognises nothing more for an ended subsidy
    entries = JournalEntry.objects.count()
    recognise(dt.date(2026, 3, 5), dt.date(2026, 3, 6), [loan])
    assert JournalEntry.objects.count() == entries
    if option == EarlySettlementOption.KEEPS_PAYING:
        # the rest is still claimed from the OEM on its dates
        set_day(dt.date(2026, 4, 30))
        assert oem_claims_generate(on=dt.date(2026, 4, 30), actor="eod")["amount"] == "149.01"
        assert books_agree()["unbilled"] == ZERO
    assert trial_balance().total == 0


def test_charge_off_stops_the_subsidy_exactly():
    loan = _claimed_february(EarlySettlementOption.STOPS)
    set_day(dt.date(2026, 3, 5))
    loan_charge_off(loan_id=loan.pk, actor="finance", reason="欺诈核销")
    balances = loan_balances(loan_id=loan.pk)
    assert (balances["oem_subsidy_income"], balances["oem_subsidy_unbilled"]) == (
        D("148.51"),
        ZERO,
    )
    assert balances["oem_subsidy_deferred"] == ZERO
    books_agree()
    assert trial_balance().total == 0
