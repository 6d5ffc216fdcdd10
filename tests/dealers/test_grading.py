"""Channel risk grading: exact scores and grades with explained inputs, alerts, recompute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.models import OutboundMessage
from dealers.models.grading import DealerAlert, DealerGrade, GradingPolicy
from dealers.rules import DealerError
from dealers.selectors import dealer_risk_facts
from dealers.services import dealer_grade_recompute_now, dealer_grades_recompute

pytestmark = pytest.mark.django_db

GOOD_MONTH = {
    "applications": 100,
    "approval_rate": 0.50,
    "decline_reasons": {"征信不良": 12, "收入不足": 5},
    "fraud_hits": 1,
    "fpd_rate": Decimal("0.03"),
    "dpd30_rate": {"3": "0.01", "6": "0.02"},
    "document_rejection_rate": "0.05",
    "cancellation_after_funding_rate": "0.01",
}
BAD_MONTH = {
    "applications": 100,
    "approval_rate": "0.20",
    "fraud_hits": 4,
    "fpd_rate": "0.06",
    "dpd30_rate": "0.05",
    "document_rejection_rate": "0.10",
    "cancellation_after_funding_rate": "0",
}


def test_grade_and_its_explanation_are_exact(make_dealer):
    dealer = make_dealer()
    [row] = dealer_grades_recompute(as_of=dt.date(2026, 1, 31), metrics={dealer.pk: GOOD_MONTH})
    assert (row.grade, row.score) == ("B", Decimal("78.12"))
    points = {name: c["points"] for name, c in row.contributions.items()}
    assert points == {
        "approval_rate": "7.50",
        "fraud_hit_rate": "20.00",
        "fpd_rate": "14.29",
        "dpd30_rate": "20.00",
        "document_rejection_rate": "8.33",
        "cancellation_after_funding_rate": "8.00",
        "repurchase_rate": "0.00",  # no repurchase figures handed in: left out
    }
    assert row.contributions["fpd_rate"]["subscore"] == "71.43"
    # inputs kept as handed in, plus the graded values (fraud as a rate, dpd30 at the largest MOB)
    assert row.inputs["raw"]["decline_reasons"] == {"征信不良": 12, "收入不足": 5}
    assert row.inputs["values"]["fraud_hit_rate"] == "0.0100"
    assert row.inputs["values"]["dpd30_rate"] == "0.02"
    assert DealerAlert.objects.count() == 0
    facts = dealer_risk_facts(dealer_id=dealer.pk)
    assert (facts["grade"], facts["grade_as_of"]) == ("B", dt.date(2026, 1, 31))


def test_repurchase_history_is_graded_with_a_small_weight(make_dealer):
    dealer = make_dealer()
    month = {**GOOD_MONTH, "loans_funded": 200, "repurchases": 2, "repurchase_amount": "240000.00"}
    [row] = dealer_grades_recompute(as_of=dt.date(2026, 1, 31), metrics={dealer.pk: month})
    bought = row.contributions["repurchase_rate"]
    # 2 of 200 loans bought back: halfway from good (0) to bad (0.02); weight 5 of 105
    assert (bought["value"], bought["subscore"], bought["points"], bought["breached"]) == (
        "0.0100", "50.00", "2.38", False,
    )  # fmt: skip


def test_a_drop_raises_grade_and_metric_alerts_and_emails_the_manager(make_dealer, am):
    dealer = make_dealer()
    dealer_grades_recompute(as_of=dt.date(2026, 1, 31), metrics={dealer.pk: GOOD_MONTH})
    [row] = dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={str(dealer.pk): BAD_MONTH})
    assert (row.grade, row.score) == ("D", Decimal("31.27"))
    alerts = sorted((a.kind, a.metric) for a in DealerAlert.objects.filter(dealer=dealer))
    assert alerts == [
        ("grade_drop", ""),
        ("metric", "approval_rate"),
        ("metric", "dpd30_rate"),
        ("metric", "fpd_rate"),
        ("metric", "fraud_hit_rate"),
    ]
    mails = OutboundMessage.objects.filter(purpose="dealer_alert", to=am.email)
    assert mails.count() == 5
    assert any("由 B 下调至 D" in m.body for m in mails)
    # the current grade is the latest one
    assert dealer_risk_facts(dealer_id=dealer.pk)["grade"] == "D"

    # re-running the same date replaces the grade and raises nothing twice
    dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={dealer.pk: BAD_MONTH})
    assert DealerGrade.objects.filter(dealer=dealer).count() == 2
    assert DealerAlert.objects.filter(dealer=dealer).count() == 5
    assert OutboundMessage.objects.filter(purpose="dealer_alert").count() == 5


def test_missing_metrics_are_left_out_and_weights_renormalised(make_dealer):
    dealer = make_dealer()
    [row] = dealer_grades_recompute(
        as_of=dt.date(2026, 1, 31),
        metrics={dealer.pk: {"applications": 0, "approval_rate": "0.5", "fpd_rate": "0.03"}},
    )
    assert (row.grade, row.score) == ("B", Decimal("72.62"))
    assert row.contributions["dpd30_rate"]["missing"] is True


def test_a_new_policy_version_changes_the_cutoffs(make_dealer):
    dealer = make_dealer()
    old = GradingPolicy.objects.get(active=True)
    old.active = False
    old.save()
    GradingPolicy.objects.create(
        version=old.version + 1,
        active=True,
        metrics=old.metrics,
        cutoffs={"A": 75, "B": 60, "C": 40},
    )
    [row] = dealer_grades_recompute(as_of=dt.date(2026, 1, 31), metrics={dealer.pk: GOOD_MONTH})
    assert (row.grade, row.score, row.policy.version) == ("A", Decimal("78.12"), old.version + 1)


def test_only_one_policy_may_be_active():
    from django.db import IntegrityError, transaction

    policy = GradingPolicy.objects.get(active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        GradingPolicy.objects.create(
            version=policy.version + 1, active=True, metrics={}, cutoffs={}
        )


def test_recompute_on_demand_uses_latest_figures_as_of_the_business_date(
    make_dealer, am, am2, business_today
):
    dealer = make_dealer()
    dealer_grades_recompute(as_of=dt.date(2026, 2, 28), metrics={dealer.pk: GOOD_MONTH})
    row = dealer_grade_recompute_now(actor=am, dealer_id=dealer.pk)
    assert (row.as_of, row.grade, row.score) == (business_today, "B", Decimal("78.12"))
    with pytest.raises(DealerError):
        dealer_grade_recompute_now(actor=am, dealer_id=make_dealer().pk)  # no figures yet
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        dealer_grade_recompute_now(actor=am2, dealer_id=dealer.pk)
