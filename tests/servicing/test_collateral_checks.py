"""The monthly book checks (issue #20): phone status, bureau re-check and revaluation over a
small book give the sandbox's documented answers and exact values; a re-run writes nothing; the
collections contact flow checks a stale phone afresh; the provision run's LGD reads the current
LTV; the curves page shows the LTV distribution by vintage."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from autofin.crypto import keyed_hash
from autofin.roles import Role
from dealers.models.dealers import Dealer
from origination.models.applications import Applicant, Application
from risk.adapters import (
    TEST_ID_COURT,
    TEST_PHONE_DEACTIVATED,
    TEST_PHONE_OWNER_CHANGED,
    SandboxPhone,
)
from risk.models import BureauQuery
from servicing.eod.registry import StepContext
from servicing.eod.steps.bureau_recheck import bureau_recheck_chunk
from servicing.eod.steps.phone_status_check import phone_status_chunk
from servicing.eod.steps.revaluation import revaluation_chunk, revaluation_prepare
from servicing.eod.sync_driver import eod_run_until
from servicing.models.collateral_checks import LoanExternalFacts, LoanValuation, VehiclePriceIndex
from servicing.models.collections import CollectionCase, LoanRiskProfile
from servicing.models.provisions import LoanProvision
from servicing.selectors.curves import ltv_by_vintage
from servicing.services.collections import CollectionsError, contact_attempt_record
from servicing.services.provisions.compute import provision_run_compute
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
MONTH_END = dt.date(2026, 3, 31)
SIX = Decimal("0.000001")
FACT_FIELDS = (
    "loan_id", "phone_status", "phone_checked_on", "bureau_deteriorated", "bureau_checked_on",
    "bureau_score_baseline", "bureau_score", "vehicle_value", "ltv_current", "valued_on",
)  # fmt: skip


def _ctx(day: dt.date = MONTH_END) -> StepContext:
    return StepContext(business_date=day, batch_id=0, step_id=0)


def _facts() -> list[tuple]:
    return list(LoanExternalFacts.objects.order_by("loan_id").values_list(*FACT_FIELDS))


def _loan(phone: str):
    return make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=phone))


@pytest.fixture
def book():
    """Three funded loans (value date 2026-01-15, 120,000 on a 150,000 new car): the borrowers'
    phones are the sandbox's deactivated and owner-changed test numbers and an ordinary one."""
    loans = [_loan(TEST_PHONE_DEACTIVATED), _loan(TEST_PHONE_OWNER_CHANGED), _loan("13700055003")]
    set_day(MONTH_END)
    return loans


def _span(loans) -> tuple[int, int]:
    return min(x.pk for x in loans), max(x.pk for x in loans)


def _national(yearly: str, age_months: int) -> Decimal:
    # the sandbox's documented table: yearly ** (age / 12), six places half-up
    return (D(yearly) ** (D(age_months) / 12)).quantize(SIX, rounding=ROUND_HALF_UP)


def test_phone_status_month_end_only_documented_answers_and_a_rerun_writes_nothing(book):
    lo, hi = _span(book)
    assert phone_status_chunk(_ctx(dt.date(2026, 3, 30)), lo, hi) == {"month_end": 0}
    assert not LoanExternalFacts.objects.exists()

    assert phone_status_chunk(_ctx(), lo, hi) == {
        "checked": 3, "deactivated": 1, "owner_changed": 1,
    }  # fmt: skip
    assert [(f[0], f[1], f[2]) for f in _facts()] == [
        (book[0].pk, "deactivated", MONTH_END),
        (book[1].pk, "owner_changed", MONTH_END),
        (book[2].pk, "active", MONTH_END),
    ]
    before = _facts()
    assert phone_status_chunk(_ctx(), lo, hi) == {"checked": 0}
    assert _facts() == before


def test_revaluation_values_every_car_from_the_month_index_exactly_and_once(book):
    lo, hi = _span(book)
    # the third car: used, first registered 2024-01-15 with 30,000 km, sold by a Shanghai dealer
    used = Application.objects.get(pk=book[2].application_id)
    used.vehicle_kind, used.first_registration_date, used.mileage_km = (
        "used",
        dt.date(2024, 1, 15),
        30000,
    )
    used.save(update_fields=["vehicle_kind", "first_registration_date", "mileage_km"])  # fmt: skip
    dealer = Dealer.objects.order_by("pk").first()
    dealer.province = "上海市"
    dealer.save(update_fields=["province"])
    type(book[2]).objects.filter(pk=book[2].pk).update(dealer_id=dealer.pk)
    type(book[0]).objects.filter(pk__in=[book[0].pk, book[1].pk]).update(dealer_id=None)

    assert revaluation_prepare(_ctx(dt.date(2026, 3, 30))) == {"month_end": 0}
    assert revaluation_prepare(_ctx()) == {"index_rows": 4 * 181 * 3}
    assert revaluation_prepare(_ctx()) == {"index_rows": 0}  # the month's table is asked once
    assert VehiclePriceIndex.objects.filter(month=dt.date(2026, 3, 1)).count() == 4 * 181 * 3
    result = revaluation_chunk(_ctx(), lo, hi)

    price = (D("120000.00") / D("0.80")).quantize(D("1"), rounding=ROUND_CEILING)  # 150,000
    # new cars: 2 months old now, 0 when financed; national table
    new_value = (price * _national("0.85", 2) / _national("0.85", 0)).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )
    # the used car: 26 months now (Shanghai's table, 1.02 x national), 24 when financed
    # (national); mileage 30,000 km then, + 20,000 km a year x 2 months since
    shanghai = min(D(1), (_national("0.85", 26) * D("1.02")).quantize(SIX, rounding=ROUND_HALF_UP))
    km_now = D(30000) + D(20000) * 2 / D("12.0")
    mileage = (1 - km_now / 600000) / (1 - D(30000) / 600000)
    used_value = (price * shanghai / _national("0.85", 24) * mileage).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )
    assert new_value == D("145991.55")  # 150,000 x 0.973277
    values = {book[0].pk: new_value, book[1].pk: new_value, book[2].pk: used_value}
    facts = {f[0]: f for f in _facts()}
    for loan in book:
        loan.refresh_from_db()
        ltv = (loan.principal_outstanding / values[loan.pk]).quantize(
            D("0.0001"), rounding=ROUND_HALF_UP
        )
        assert facts[loan.pk][7:] == (values[loan.pk], ltv, MONTH_END)
    assert used_value > new_value * D("0.7")  # a 2-year-old car, still worth most of its price
    high = sum(1 for f in facts.values() if f[8] > D("1.0000"))
    assert result == {"valued": 3, "ltv_high": high}
    history = list(LoanValuation.objects.order_by("loan_id").values_list(
        "month", "vintage", "vehicle_value", "ltv"))  # fmt: skip
    assert history == [
        (dt.date(2026, 3, 1), dt.date(2026, 1, 1), facts[x.pk][7], facts[x.pk][8]) for x in book
    ]

    before = (_facts(), LoanValuation.objects.count())
    assert revaluation_chunk(_ctx(), lo, hi) == {"valued": 0, "ltv_high": high}
    assert (_facts(), LoanValuation.objects.count()) == before

    report = ltv_by_vintage()
    assert report["month"] == dt.date(2026, 3, 1)
    [row] = report["rows"]
    assert (row["vintage"], row["loans"], sum(row["counts"])) == (dt.date(2026, 1, 1), 3, 3)


def test_bureau_recheck_sample_high_risk_and_deterioration(book, settings):
    lo, hi = _span(book)
    settings.COLLATERAL_CHECKS = {**settings.COLLATERAL_CHECKS, "bureau_sample_pct": "0"}
    # the first loan is at early-warning level high; its borrower is on the court list
    LoanRiskProfile.objects.create(loan=book[0], level="high")
    Applicant.objects.filter(application_id=book[0].application_id, role="primary").update(
        id_number_hash=keyed_hash(TEST_ID_COURT)
    )
    assert bureau_recheck_chunk(_ctx(dt.date(2026, 3, 30)), lo, hi) == {"month_end": 0}
    assert bureau_recheck_chunk(_ctx(), lo, hi) == {"rechecked": 1, "deteriorated": 1, "failed": 0}
    [q] = BureauQuery.objects.all()
    assert (q.purpose, q.subject_ref, q.requested_by, q.status) == (
        "post_loan", book[0].contract_ref, "loan-recheck", "answered",
    )  # fmt: skip
    assert q.consent_ref.startswith("consent:")
    f = LoanExternalFacts.objects.get(loan=book[0])
    assert (f.bureau_deteriorated, f.bureau_checked_on, f.bureau_score_baseline, f.bureau_score) == (
        True, MONTH_END, 650, 650,
    )  # fmt: skip
    before = (_facts(), BureauQuery.objects.count())
    assert bureau_recheck_chunk(_ctx(), lo, hi) == {"rechecked": 0, "deteriorated": 0, "failed": 0}
    assert (_facts(), BureauQuery.objects.count()) == before

    # the whole book sampled next month: a score 51 points below its baseline is deteriorated,
    # one 50 below is not; the baselines stay those of the first re-check
    settings.COLLATERAL_CHECKS = {**settings.COLLATERAL_CHECKS, "bureau_sample_pct": "100"}
    first = bureau_recheck_chunk(_ctx(dt.date(2026, 4, 30)), book[1].pk, book[2].pk)
    assert first == {"rechecked": 2, "deteriorated": 0, "failed": 0}
    for loan_id, drop in ((book[1].pk, 51), (book[2].pk, 50)):
        f = LoanExternalFacts.objects.get(loan_id=loan_id)
        LoanExternalFacts.objects.filter(loan_id=loan_id).update(
            bureau_score_baseline=f.bureau_score + drop, bureau_checked_on=dt.date(2026, 4, 1)
        )
    may = bureau_recheck_chunk(_ctx(dt.date(2026, 5, 31)), book[1].pk, book[2].pk)
    assert may == {"rechecked": 2, "deteriorated": 1, "failed": 0}
    assert dict(
        LoanExternalFacts.objects.filter(loan__in=book[1:]).values_list("loan_id", "bureau_deteriorated")
    ) == {book[1].pk: True, book[2].pk: False}  # fmt: skip


def test_a_collection_call_checks_a_stale_phone_afresh(monkeypatch, settings):
    settings.EOD_AUTO_DEBIT_SEND = False  # the batch below must not send to the bank
    make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=TEST_PHONE_DEACTIVATED))
    UserFactory(roles=[Role.COLLECTOR])
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 16))
    case = CollectionCase.objects.get()
    asked = []
    original = SandboxPhone.status_many

    def spy(self, *, phone_hashes):
        asked.append(list(phone_hashes))
        return original(self, phone_hashes=phone_hashes)

    monkeypatch.setattr(SandboxPhone, "status_many", spy)
    noon = timezone.make_aware(dt.datetime(2026, 2, 17, 12, 0))

    def call():
        contact_attempt_record(case_id=case.pk, collector=case.assigned_to, party="borrower",
                               channel="phone", outcome="no_answer", at=noon)  # fmt: skip

    call()  # never checked: asked now
    f = LoanExternalFacts.objects.get(loan=case.loan)
    today = f.phone_checked_on
    assert (f.phone_status, len(asked)) == ("deactivated", 1)
    call()  # checked today: not asked again
    assert len(asked) == 1
    # a visit asks nothing; a check 30 days old is not stale yet, 31 days is
    LoanExternalFacts.objects.filter(loan=case.loan).update(
        phone_checked_on=today - dt.timedelta(days=30)
    )
    contact_attempt_record(case_id=case.pk, collector=case.assigned_to, party="borrower",
                           channel="visit", outcome="no_answer", at=noon)  # fmt: skip
    assert len(asked) == 1
    LoanExternalFacts.objects.filter(loan=case.loan).update(
        phone_checked_on=today - dt.timedelta(days=31), phone_status="active"
    )
    with pytest.raises(
        CollectionsError, match="上限"
    ):  # the daily limit still applies after the check
        call()
    assert len(asked) == 2
    assert LoanExternalFacts.objects.get(loan=case.loan).phone_status == "deactivated"


def test_provision_lgd_reads_the_current_ltv(book):
    loan = book[0]
    lo, hi = _span(book)
    before = provision_run_compute(as_of=MONTH_END, actor="test")
    lgd_origination = LoanProvision.objects.get(run=before, loan_id=loan.pk).lgd
    assert lgd_origination == D("0.250000")  # 1 − 0.6 / 0.80 (120,000 over 150,000)

    revaluation_prepare(_ctx())
    revaluation_chunk(_ctx(), lo, hi)
    LoanExternalFacts.objects.filter(loan=loan).update(ltv_current=D("1.2000"))
    run = provision_run_compute(as_of=MONTH_END, actor="test")
    current = LoanExternalFacts.objects.get(loan=book[1]).ltv_current
    lgds = dict(LoanProvision.objects.filter(run=run).values_list("loan_id", "lgd"))
    assert lgds[loan.pk] == D("0.500000")  # 1 − 0.6 / 1.20
    expected = (1 - D("0.6") / current).quantize(SIX, rounding=ROUND_HALF_UP)
    assert lgds[book[1].pk] == expected and expected > lgd_origination


def test_the_curves_page_shows_ltv_by_vintage(book, client):
    lo, hi = _span(book)
    revaluation_prepare(_ctx())
    revaluation_chunk(_ctx(), lo, hi)
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    page = client.get(reverse("servicing:eod_curves")).content.decode()
    assert 'data-testid="ltv-vintage"' in page and "2026-03" in page
    assert "<td>2026-01</td>" in page and "<td>3</td>" in page
