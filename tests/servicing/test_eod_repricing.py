"""LPR repricing in the nightly batch: a floating-rate loan is repriced on the first due date on or
after its anniversary, the future instalments re-amortised at LPR + spread, the old rows kept;
unchanged LPR, subsidised and fixed-rate loans; the next night accrues at the new rate."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from autofin.models import OutboundMessage
from origination.models import LprRate
from servicing.eod.registry import StepContext
from servicing.eod.steps.repricing import repricing_chunk
from servicing.models import JournalLine
from servicing.models.loans import Loan, LoanRepricing, LoanScheduleRow
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, set_day
from tests.servicing.test_eod_steps import close

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900002000)
VALUE = dt.date(2025, 12, 15)
ANNIVERSARY = dt.date(2026, 12, 15)
LINK = {"basis": "lpr", "tenor": "1y", "spread_bps": 140}


@pytest.fixture(autouse=True)
def _eod_settings(settings, policy):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2
    # these books jump a year ahead unpaid: keep them out of charge-off, which closes a loan
    policy("servicing.charge_off_dpd", "10000")


def loan(**kw):
    from autofin.roles import Role
    from tests.factories import UserFactory

    customer = UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones)))
    kw.setdefault("value_date", VALUE)
    kw.setdefault("term", 36)
    return make_loan(customer=customer, **kw)


def lpr(rate: str, on: dt.date) -> None:
    LprRate.objects.create(tenor="1y", rate=D(rate), effective_date=on)


def level_payment(principal: Decimal, annual: Decimal, n: int) -> Decimal:
    """The textbook annuity, independent of the pricing engine: P r / (1 - (1 + r)^-n)."""
    r = annual / 12
    return (principal * r / (1 - (1 + r) ** -n)).quantize(D("0.01"), ROUND_HALF_UP)


def bring_current(a: Loan, on: dt.date) -> None:
    """Accrue to `on` and pay everything due by then (the customer paid their year on time)."""
    from servicing.selectors.loans import next_due
    from servicing.services.accrual import loan_accrue
    from servicing.services.repayments.posting import repayment_post

    set_day(on)
    loan_accrue(loan_id=a.pk, through=on, actor="test", business_date=on)
    a.refresh_from_db()
    owed = next_due(loan=a, on=on + dt.timedelta(days=1)).overdue_amount
    repayment_post(
        loan_id=a.pk, amount=owed, source="online", actor="test", business_date=on,
        idempotency_key=f"current-{a.pk}-{on}",
    )  # fmt: skip
    assert all(r.status == "paid" for r in a.schedule_rows() if r.due_date <= on)


def in_force(a: Loan) -> list[LoanScheduleRow]:
    return list(a.schedule_rows())


def test_floating_loan_reprices_on_its_anniversary_and_accrues_at_the_new_rate():
    lpr("0.031000", dt.date(2025, 11, 20))
    lpr("0.030000", dt.date(2026, 11, 20))  # published before the anniversary: this one applies
    lpr("0.025000", dt.date(2026, 12, 20))  # after it: not used this year
    floating = loan(rate="0.045", rate_link=LINK)
    fixed = loan(rate="0.045")
    assert floating.rate_basis == "lpr" and floating.next_repricing_date == ANNIVERSARY
    before = in_force(floating)
    tail_principal = sum(r.principal for r in before if r.due_date > ANNIVERSARY)
    fixed_rows = [(r.pk, r.instalment) for r in in_force(fixed)]
    bring_current(floating, ANNIVERSARY - dt.timedelta(days=1))

    set_day(ANNIVERSARY)
    close(ANNIVERSARY)

    floating.refresh_from_db()
    assert floating.schedule_rate == floating.annual_rate == D("0.044000")  # 3.00 % + 140 bp
    assert floating.penalty_rate == D("0.066000")  # x 1.5, the product's penalty markup
    assert floating.schedule_version == 2
    assert floating.next_repricing_date == dt.date(2027, 12, 15)
    after = in_force(floating)
    # rows due by the anniversary are untouched; the 24 after it are new, same dates, same
    # principal outstanding, level instalment at the new rate
    assert [(r.pk, r.instalment) for r in after[:12]] == [(r.pk, r.instalment) for r in before[:12]]
    tail = after[12:]
    assert [r.due_date for r in tail] == [r.due_date for r in before[12:]]
    assert {r.schedule_version for r in tail} == {2}
    assert sum(r.principal for r in tail) == tail_principal
    assert tail[0].opening_balance == tail_principal and tail[-1].closing_balance == 0
    expected = level_payment(tail_principal, D("0.044"), 24)
    assert tail[0].instalment - tail[0].fee == expected
    assert tail[0].instalment < before[12].instalment
    assert tail[0].interest == (tail_principal * D("0.044") / 12).quantize(D("0.01"), ROUND_HALF_UP)
    # the old tail is kept, superseded by version 2
    assert LoanScheduleRow.objects.filter(loan=floating, superseded_by_version=2).count() == 24

    record = LoanRepricing.objects.get(loan=floating)
    assert (record.outcome, record.lpr_rate, record.lpr_effective_date, record.spread_bps) == (
        "repriced",
        D("0.030000"),
        dt.date(2026, 11, 20),
        140,
    )
    assert (record.old_rate, record.new_rate) == (D("0.045000"), D("0.044000"))
    assert (record.old_instalment, record.new_instalment) == (
        before[12].instalment,
        tail[0].instalment,
    )
    sms = OutboundMessage.objects.get(purpose="loan_repricing")
    assert sms.to == floating.customer.phone and sms.not_before is not None
    assert str(tail[0].instalment) in sms.body and "4.40%" in sms.body

    fixed.refresh_from_db()
    assert fixed.schedule_version == 1 and fixed.next_repricing_date is None
    assert [(r.pk, r.instalment) for r in in_force(fixed)] == fixed_rows
    assert not LoanRepricing.objects.filter(loan=fixed).exists()

    # the next night accrues on the new row at 4.40 %: one day of 30E/360
    day = ANNIVERSARY + dt.timedelta(days=1)
    close(day)
    posted = JournalLine.objects.get(
        loan_id=floating.pk,
        entry__source_type="accrual",
        entry__business_date=day,
        account__code="interest_receivable",
    ).amount
    assert posted == (tail_principal * D("0.044") / 360).quantize(D("0.01"), ROUND_DOWN)
    # and on the first repriced due date (the anniversary's instalment paid) the ledger's interest
    # is the new row's, to the fen
    bring_current(floating, day)
    first = tail[0].due_date
    set_day(first)
    close(first)
    assert_ledger_matches(floating)

    # a second run of the step on the same date changes nothing
    ctx = StepContext(business_date=ANNIVERSARY, batch_id=0, step_id=0)
    assert repricing_chunk(ctx, floating.pk, floating.pk) == {"loans": 0}
    assert LoanRepricing.objects.filter(loan=floating).count() == 1


def test_agent_loan_page_shows_the_rate_link_and_its_repricings(client):
    from django.urls import reverse

    from autofin.roles import Role
    from tests.factories import UserFactory

    lpr("0.031000", dt.date(2025, 11, 20))
    lpr("0.030000", dt.date(2026, 11, 20))
    a = loan(rate="0.045", rate_link=LINK)
    set_day(ANNIVERSARY)
    close(ANNIVERSARY)
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    page = client.get(reverse("servicing:loan_detail", args=[a.pk])).content.decode()
    assert "LPR 1y + 140 bp" in page and "2027-12-15" in page
    assert "4.5000% → 4.4000%" in page and "已重定价" in page


def test_unchanged_lpr_subsidised_and_paid_ahead_loans():
    lpr("0.031000", dt.date(2025, 11, 20))
    same = loan(rate="0.045", rate_link=LINK)
    # OEM subsidy: the customer pays 1.99 % whatever the LPR does, until the LPR rate is lower
    subsidised = loan(rate="0.045", customer_rate="0.0199", rate_link=LINK)
    lpr("0.030000", dt.date(2026, 11, 20))
    subsidised_rows = [(r.pk, r.instalment) for r in in_force(subsidised)]
    assert subsidised.penalty_rate == D("0.029850")  # the contract's: 1.99 % x 1.5

    set_day(ANNIVERSARY)
    close(ANNIVERSARY)

    same.refresh_from_db()
    subsidised.refresh_from_db()
    outcomes = dict(LoanRepricing.objects.values_list("loan_id", "outcome"))
    # `same` was priced at 3.10 % + 140 bp = 4.50 %; now 3.00 % + 140 bp = 4.40 % — repriced.
    # `subsidised` keeps its 1.99 % schedule; only the lender's yield follows the LPR.
    assert outcomes == {same.pk: "repriced", subsidised.pk: "subsidised"}
    assert subsidised.schedule_rate == D("0.019900") and subsidised.annual_rate == D("0.044000")
    assert subsidised.schedule_version == 1
    # the penalty still follows the customer's contract rate, not the lender's 4.40 %
    assert subsidised.penalty_rate == D("0.029850")
    assert [(r.pk, r.instalment) for r in in_force(subsidised)] == subsidised_rows
    assert subsidised.next_repricing_date == dt.date(2027, 12, 15)
    assert OutboundMessage.objects.filter(purpose="loan_repricing").count() == 1

    # a year on with the LPR unchanged: the date moves, nothing else
    nxt = dt.date(2027, 12, 15)
    set_day(nxt)
    close(nxt)
    same.refresh_from_db()
    record = LoanRepricing.objects.get(loan=same, repricing_date=nxt)
    assert record.outcome == "unchanged" and record.new_rate == record.old_rate == D("0.044")
    assert same.schedule_version == 2 and same.next_repricing_date == dt.date(2028, 12, 15)
    assert OutboundMessage.objects.filter(purpose="loan_repricing").count() == 1


def test_future_instalment_already_part_paid_is_not_rewritten():
    lpr("0.031000", dt.date(2025, 11, 20))
    a = loan(rate="0.045", rate_link=LINK)
    lpr("0.030000", dt.date(2026, 11, 20))
    row = in_force(a)[20]
    LoanScheduleRow.objects.filter(pk=row.pk).update(fee_paid=D("10.00"))
    # ... and the 10.00 received in the ledger too, or the nightly reconciliation stops the day
    from servicing.services.ledger.posting import journal_post

    journal_post(
        business_date=VALUE,
        source_type="repayment",
        source_id=a.pk,
        lines=[("bank_clearing", "D", D("10.00"), a.pk), ("fee_receivable", "C", D("10.00"), a.pk)],
        idempotency_key=f"test-part-paid:{a.pk}",
        actor="test",
        loan_id=a.pk,
    )

    set_day(ANNIVERSARY)
    close(ANNIVERSARY)

    a.refresh_from_db()
    record = LoanRepricing.objects.get(loan=a)
    assert record.outcome == "skipped" and record.new_rate == record.old_rate
    assert a.schedule_version == 1 and a.schedule_rate == D("0.045")
    assert a.next_repricing_date == dt.date(2027, 12, 15)


def test_a_loan_of_a_year_has_no_repricing_date():
    lpr("0.031000", dt.date(2025, 11, 20))
    a = loan(rate="0.045", term=12, rate_link=LINK)
    assert a.rate_basis == "lpr" and a.next_repricing_date is None


def test_incomplete_rate_link_is_refused():
    from servicing.services.loans.account import LoanError
    from servicing.services.loans.create import loan_create
    from tests.factories import UserFactory

    customer = UserFactory(roles=["customer"], phone="13900007777")
    terms = {
        "application_id": None, "customer_user_id": customer.pk, "product_version_id": None,
        "product_rules": {}, "amount_financed": D("120000.00"), "annual_rate": D("0.045"),
        "penalty_rate": D("0.0675"), "term_months": 36, "method": "equal_instalment",
        "value_date": VALUE, "actor": "test",
    }  # fmt: skip
    with pytest.raises(LoanError):
        loan_create(contract_ref="T-1", rate_link={"basis": "lpr", "tenor": "1y"}, **terms)
    with pytest.raises(LoanError):
        loan_create(
            contract_ref="T-2",
            rate_link={"basis": "lpr", "tenor": "3y", "spread_bps": 10},
            **terms,
        )
    assert not Loan.objects.exists()
