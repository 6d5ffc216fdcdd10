"""Segments (issue 21 §3): the rule compiler (whitelisted facts and operators, bound values),
the issue's example segments, the set-based computation over 100,000 customers, and the
nightly `segments` step after the customer facts."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection

from servicing.eod.registry import StepContext, steps_ordered
from servicing.eod.steps.segments import segments_step
from servicing.models import CustomerFact
from servicing.models.marketing import Segment, SegmentMember
from servicing.services.marketing.rules import RuleError, rules_where
from servicing.services.marketing.segments import segment_compute, segment_count
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

TODAY = dt.date(2026, 11, 20)
LOYAL = [
    {"fact": "instalments_paid", "op": "gte", "value": "24"},
    {"fact": "max_dpd_ever", "op": "lte", "value": "0"},
    {"fact": "months_to_maturity", "op": "between", "value": "6", "value2": "12"},
]
NEV_RENEWING = [
    {"fact": "has_nev", "op": "is_true"},
    {"fact": "insurance_ends_on", "op": "next_month"},
]
SETTLED_EARLY = [{"fact": "settled_early_on", "op": "last_days", "value": "90"}]


def _fact(**kw) -> CustomerFact:
    return CustomerFact.objects.create(customer=UserFactory(), computed_on=TODAY, **kw)


def test_the_issues_three_examples_select_exactly_their_customers():
    loyal = _fact(instalments_paid=30, max_dpd_ever=0, months_to_maturity=8)
    _fact(instalments_paid=30, max_dpd_ever=3, months_to_maturity=8)  # was late once
    _fact(instalments_paid=23, max_dpd_ever=0, months_to_maturity=8)  # one instalment short
    _fact(instalments_paid=30, max_dpd_ever=0, months_to_maturity=13)  # too far from the end
    edge = _fact(instalments_paid=24, max_dpd_ever=0, months_to_maturity=12)  # both ends count
    renewing = _fact(has_nev=True, insurance_ends_on=dt.date(2026, 12, 31))
    _fact(has_nev=True, insurance_ends_on=dt.date(2027, 1, 1))  # the month after next
    _fact(has_nev=False, insurance_ends_on=dt.date(2026, 12, 5))  # not an NEV
    settled = _fact(settled_early_on=TODAY - dt.timedelta(days=90))
    _fact(settled_early_on=TODAY - dt.timedelta(days=91))

    results = {}
    for name, rules in (("loyal", LOYAL), ("nev", NEV_RENEWING), ("settled", SETTLED_EARLY)):
        segment = Segment.objects.create(name=name, rules=rules)
        assert segment_compute(segment, today=TODAY) == segment_count(rules=rules, today=TODAY)
        results[name] = set(
            SegmentMember.objects.filter(segment=segment).values_list("customer_id", flat=True)
        )
        segment.refresh_from_db()
        assert segment.member_count == len(results[name])
        assert segment.computed_at is not None

    assert results == {
        "loyal": {loyal.customer_id, edge.customer_id},
        "nev": {renewing.customer_id},
        "settled": {settled.customer_id},
    }


def test_a_recompute_replaces_the_members():
    first = _fact(current_dpd=0, principal_outstanding=Decimal("50000.00"))
    second = _fact(current_dpd=0, principal_outstanding=Decimal("9000.00"))
    rules = [{"fact": "principal_outstanding", "op": "gte", "value": "10000.00"}]
    segment = Segment.objects.create(name="big", rules=rules)
    segment_compute(segment, today=TODAY)
    CustomerFact.objects.filter(pk=first.pk).update(principal_outstanding=Decimal("5000.00"))
    CustomerFact.objects.filter(pk=second.pk).update(principal_outstanding=Decimal("10000.00"))

    assert segment_compute(segment, today=TODAY) == 1
    assert list(segment.members.values_list("customer_id", flat=True)) == [second.customer_id]


@pytest.mark.parametrize(
    "rule",
    [
        {"fact": "id; DROP TABLE servicing_segment; --", "op": "eq", "value": "1"},
        {"fact": "instalments_paid", "op": "= 1 OR 1=1 --", "value": "1"},
        {"fact": "instalments_paid", "op": "gte", "value": "1 OR 1=1"},
        {"fact": "has_nev", "op": "gte", "value": "1"},  # not an operator of a yes/no fact
        {"fact": "settled_early_on", "op": "last_days", "value": "0"},
        {"fact": "vehicle_kind", "op": "eq", "value": "rocket"},
        {"fact": "months_to_maturity", "op": "between", "value": "12", "value2": "6"},
    ],
)
def test_anything_outside_the_whitelists_is_refused_before_sql(rule):
    with pytest.raises(RuleError) as refused:
        rules_where([rule], today=TODAY)
    assert refused.value.index == 0
    assert Segment.objects.count() == 0


def test_values_are_bound_never_interpolated():
    where, params = rules_where(
        [{"fact": "vehicle_kind", "op": "eq", "value": "nev"}, *LOYAL], today=TODAY
    )
    assert "nev" not in where and "24" not in where
    assert params == ["nev", 24, 0, 6, 12]


def test_a_segment_whose_rules_no_longer_compile_fails_alone_in_the_nightly_step():
    loyal = _fact(instalments_paid=30)
    stale_member = _fact(instalments_paid=1)
    # saved when the fact existed; the compiler no longer knows it
    broken = Segment.objects.create(
        name="broken", rules=[{"fact": "retired_fact", "op": "eq", "value": "1"}]
    )
    SegmentMember.objects.create(segment=broken, customer_id=stale_member.customer_id)
    good = Segment.objects.create(
        name="good", rules=[{"fact": "instalments_paid", "op": "gte", "value": "24"}]
    )

    result = segments_step(StepContext(business_date=TODAY, batch_id=0, step_id=0), 0, 0)

    assert result["segments"] == 1 and result["segment_failures"] == 1
    assert list(good.members.values_list("customer_id", flat=True)) == [loyal.customer_id]
    broken.refresh_from_db()
    assert broken.compute_error == "第 1 条规则：未知的客户特征。"
    # its last members stand until the marketer fixes the rules
    assert list(broken.members.values_list("customer_id", flat=True)) == [stale_member.customer_id]
    assert broken.computed_at is None

    broken.rules = [{"fact": "instalments_paid", "op": "lte", "value": "5"}]
    broken.save()
    segment_compute(broken, today=TODAY)
    broken.refresh_from_db()
    assert broken.compute_error == "" and broken.member_count == 1


def test_the_segments_step_runs_after_the_customer_facts():
    codes = [s.code for s in steps_ordered()]
    assert codes.index("segments") == codes.index("customer_facts") + 1


N = 100_000


def test_a_segment_over_100000_customers_computes_in_seconds():
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO autofin_user (password, is_superuser, username, first_name, last_name,
                      email, is_staff, is_active, date_joined, phone, display_name)
               SELECT '!', false, 'bulk' || g, '', '', '', false, true, now(), '', ''
                 FROM generate_series(1, %s) g""",
            [N],
        )
        # facts spread so that every rule cuts: paid 0–47, late every 7th, 0–35 months left
        cur.execute(
            """INSERT INTO servicing_customerfact (customer_id, computed_on, loans_active,
                      loans_closed, instalments_paid, current_dpd, max_dpd_ever,
                      principal_outstanding, months_to_maturity, has_nev, vehicle_kind,
                      marketing_consent)
               SELECT u.id, %s, 1, 0, u.id %% 48, 0, CASE WHEN u.id %% 7 = 0 THEN 5 ELSE 0 END,
                      1000, u.id %% 36, u.id %% 3 = 0, 'new', u.id %% 2 = 0
                 FROM autofin_user u WHERE u.username LIKE 'bulk%%'""",
            [TODAY],
        )
    expected = CustomerFact.objects.filter(
        instalments_paid__gte=24, max_dpd_ever__lte=0, months_to_maturity__range=(6, 12)
    ).count()
    segment = Segment.objects.create(name="loyal", rules=LOYAL)

    started = time.perf_counter()
    count = segment_compute(segment, today=TODAY)
    seconds = time.perf_counter() - started

    print(f"segment over {N} customers: {count} members in {seconds:.2f} s")
    assert CustomerFact.objects.count() == N
    assert count == expected == segment.members.count()
    assert 5_000 < count < 20_000  # the rules cut the book, they do not select all or none
    assert seconds < 10
