"""Collections: cases opened by the batch per bucket strategy, assigned by workload, conduct
rules (contact hours, daily limit, no third-party disclosure), promises to pay checked by the
batch (a broken one re-queues), the queue ordered by likelihood to pay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from autofin.roles import Role
from servicing.eod.sync_driver import eod_run_until
from servicing.models.collections import CollectionCase, ContactAttempt, LoanTask, PromiseToPay
from servicing.services.collections import (
    CALLBACK_NOTE,
    CollectionsError,
    contact_attempt_record,
    promise_to_pay_create,
)
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
NOON = timezone.make_aware(dt.datetime(2026, 2, 17, 12, 0))


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank (the tests pay, or not, themselves).
    settings.EOD_AUTO_DEBIT_SEND = False


@pytest.fixture
def collectors():
    return [UserFactory(roles=[Role.COLLECTOR]) for _ in range(2)]


def _overdue_book(n=3):
    loans = [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390000300{i}"))
        for i in range(n)
    ]
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 16))  # instalment 1 due 02-15 unpaid: dpd 2
    return loans


def test_batch_opens_cases_in_the_bucket_queue_and_balances_workloads(collectors):
    loans = _overdue_book(3)
    cases = list(CollectionCase.objects.order_by("loan_id"))
    assert [(c.loan_id, c.queue, c.bucket, c.dpd, c.amount_overdue) for c in cases] == [
        (x.pk, "soft", "M1", 2, D("10377.97") + D("2.58")) for x in loans
    ]
    # workloads: 2 and 1
    per = sorted(CollectionCase.objects.values_list("assigned_to_id", flat=True))
    assert sorted(per.count(c.pk) for c in collectors) == [1, 2]
    # the score: logistic(1 - 0.04 x 2 + 1.5 x 0.5 + 1.0 x 0) = 0.8416
    assert {c.score for c in cases} == {D("0.8416")}


def test_conduct_rules_hours_daily_limit_and_no_third_party_disclosure(collectors, settings):
    settings.EOD_COLLECTIONS_DAILY_ATTEMPTS = 2
    _overdue_book(1)
    case = CollectionCase.objects.get()
    me = case.assigned_to
    # outside contact hours: refused, nothing written
    with pytest.raises(CollectionsError, match="08:00"):
        contact_attempt_record(
            case_id=case.pk, collector=me, party="borrower", channel="phone", outcome="no_answer",
            at=timezone.make_aware(dt.datetime(2026, 2, 17, 21, 5)),
        )  # fmt: skip
    assert ContactAttempt.objects.count() == 0
    # a third party: only a callback request, no debt details, whatever was typed
    third = contact_attempt_record(
        case_id=case.pk, collector=me, party="third_party", channel="phone", outcome="promise",
        note="他欠了我们一万块", at=NOON,
    )  # fmt: skip
    assert (third.outcome, third.note, third.discloses_debt) == (
        "callback_requested",
        CALLBACK_NOTE,
        False,
    )
    contact_attempt_record(
        case_id=case.pk, collector=me, party="borrower", channel="phone", outcome="promise",
        note="本人承诺周五还款", at=NOON,
    )  # fmt: skip
    # the daily limit per debtor
    with pytest.raises(CollectionsError, match="上限"):
        contact_attempt_record(
            case_id=case.pk, collector=me, party="borrower", channel="phone",
            outcome="no_answer", at=NOON,
        )  # fmt: skip
    assert ContactAttempt.objects.count() == 2
    # another collector cannot work the case
    other = next(c for c in collectors if c != me)
    with pytest.raises(CollectionsError):
        contact_attempt_record(
            case_id=case.pk, collector=other, party="borrower", channel="phone",
            outcome="no_answer", at=NOON,
        )  # fmt: skip


def test_a_broken_promise_is_found_by_the_batch_and_requeues_the_case(collectors):
    loans = _overdue_book(2)
    kept_case, broken_case = CollectionCase.objects.order_by("loan_id")
    promise_to_pay_create(
        case_id=kept_case.pk, collector=kept_case.assigned_to,
        promised_date=dt.date(2026, 2, 18), amount="10000.00",
    )  # fmt: skip
    promise_to_pay_create(
        case_id=broken_case.pk, collector=broken_case.assigned_to,
        promised_date=dt.date(2026, 2, 18), amount="10000.00",
    )  # fmt: skip
    from servicing.services.repayments.posting import repayment_post

    repayment_post(loan_id=loans[0].pk, amount="10500.00", source="online", actor="customer",
                   idempotency_key="ptp-kept")  # fmt: skip
    # when the batch closes 02-17 and 02-18
    eod_run_until(target=dt.date(2026, 2, 18))
    # then the kept promise is kept (and that loan's case closed: cured); the other is broken,
    # its case re-queued and a task opened
    kept, broken = PromiseToPay.objects.order_by("case__loan_id")
    assert (kept.status, kept.paid_amount) == ("kept", D("10500.00"))
    assert (broken.status, broken.paid_amount, broken.checked_on) == (
        "broken",
        D("0.00"),
        dt.date(2026, 2, 18),
    )
    kept_case.refresh_from_db()
    broken_case.refresh_from_db()
    assert (kept_case.status, kept_case.close_reason) == ("closed", "cured")
    assert broken_case.requeued_on == dt.date(2026, 2, 18)
    assert LoanTask.objects.filter(loan=loans[1], kind="ptp_broken").count() == 1


def test_promise_validation():
    _overdue_book(1)
    collector = UserFactory(roles=[Role.COLLECTOR])
    case = CollectionCase.objects.get()
    with pytest.raises(CollectionsError) as err:
        promise_to_pay_create(case_id=case.pk, collector=collector,
                              promised_date=dt.date(2026, 1, 1), amount="100")  # fmt: skip
    assert err.value.field == "promised_date"
    with pytest.raises(CollectionsError) as err:
        promise_to_pay_create(case_id=case.pk, collector=collector,
                              promised_date=dt.date(2026, 2, 20), amount="0")  # fmt: skip
    assert err.value.field == "amount"
    assert PromiseToPay.objects.count() == 0


def test_risk_levels_raised_set_based_never_lower_and_open_one_task_a_day():
    from autofin.models import AuditEntry
    from servicing.models.collections import LoanRiskProfile
    from servicing.services.collections import loans_risk_raise

    day = dt.date(2026, 3, 16)
    high = make_loan()
    fresh = make_loan(amount="80000.00")
    quiet = make_loan(amount="70000.00")
    LoanRiskProfile.objects.create(loan=high, level="high", facts_hash="old", raised_on=day)
    results = [
        (high.pk, "low", ["LATE_REPEATED"], "h1"),
        (fresh.pk, "medium", ["LATE_REPEATED", "REPAYMENT_FALLING"], "h2"),
        (quiet.pk, "none", [], "h3"),
    ]
    assert loans_risk_raise(results=results, business_date=day, actor="eod") == 1
    profiles = {p.loan_id: p for p in LoanRiskProfile.objects.all()}
    assert (profiles[high.pk].level, profiles[high.pk].facts_hash) == ("high", "h1")
    assert (profiles[fresh.pk].level, profiles[fresh.pk].raised_on) == ("medium", day)
    assert (profiles[quiet.pk].level, profiles[quiet.pk].raised_on) == ("none", None)
    tasks = LoanTask.objects.filter(kind="early_warning")
    assert sorted(tasks.values_list("loan_id", flat=True)) == sorted([high.pk, fresh.pk])
    assert tasks.get(loan=fresh).detail == {
        "rules": ["LATE_REPEATED", "REPAYMENT_FALLING"],
        "level": "medium",
    }
    raised = AuditEntry.objects.filter(action="loan_risk_raise")
    assert list(raised.values_list("object_id", "from_state", "to_state")) == [
        (str(fresh.pk), "none", "medium")
    ]
    # the same night again: nothing new
    assert loans_risk_raise(results=results, business_date=day, actor="eod") == 0
    assert tasks.count() == 2 and raised.count() == 1
