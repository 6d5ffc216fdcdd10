"""Strategy thresholds (update, preview) and in-loan early warning."""

from __future__ import annotations

import pytest

from autofin.models import ApprovalRequest
from autofin.roles import Role
from risk.approvals import strategy_change_submit
from risk.models import EarlyWarningHit, EarlyWarningRule, ScoreRecord, Strategy
from risk.services import StrategyError, early_warning_evaluate, strategy_preview
from risk.services.strategy import tier_for
from tests import approvals_support
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _records(version, scores, role="champion"):
    ScoreRecord.objects.bulk_create(
        [
            ScoreRecord(
                version=version, product_line="new", application_ref=f"S{i}", role=role, score=s
            )
            for i, s in enumerate(scores)
        ]
    )


def test_preview_counts_the_moves_between_outcomes(hand_scorecard):
    # Current: decline < 480, approve >= 560.
    _records(hand_scorecard, [450, 470, 490, 520, 555, 560, 600, 650])
    _records(hand_scorecard, [100, 900], role="challenger")  # shadow scores are not counted
    p = strategy_preview(product_line="new", approve_above=520, decline_below=500)
    assert p["n"] == 8
    assert p["matrix"] == {
        "approve": {"approve": 3, "refer": 0, "decline": 0},
        "refer": {"approve": 2, "refer": 0, "decline": 1},
        "decline": {"approve": 0, "refer": 0, "decline": 2},
    }
    assert p["moved"] == 3
    assert p["before"] == {"approve": 3, "refer": 3, "decline": 2}
    assert p["after"] == {"approve": 5, "refer": 0, "decline": 3}
    p = strategy_preview(product_line="new", approve_above=520, decline_below=500, last_n=2)
    assert p["n"] == 2


def test_strategy_update_writes_an_audit_row(hand_scorecard):
    analyst = UserFactory(username="ana", roles=[Role.RISK_ANALYST])
    checker = approvals_support.second_person(analyst)
    s = approvals_support.strategy_change(
        maker=analyst,
        checker=checker,
        product_line="new",
        approve_above=570,
        decline_below=490,
        tier_cutoffs={"A": 600, "B": 580, "C": 560},
    )
    assert (s.approve_above, s.decline_below) == (570, 490)
    entry = audit_trail_for(s).get()
    assert (entry.from_state, entry.to_state, entry.actor) == ("480/560", "490/570", checker)
    assert entry.data["four_eyes"]["maker"] == "ana"


def test_strategy_update_refuses_crossed_thresholds_and_changes_nothing(hand_scorecard):
    with pytest.raises(StrategyError) as err:
        strategy_change_submit(
            product_line="new",
            approve_above=500,
            decline_below=510,
            tier_cutoffs={"A": 600, "B": 580, "C": 560},
            actor=UserFactory(roles=[Role.RISK_ANALYST]),
        )
    assert err.value.field == "decline_below"
    s = Strategy.objects.get(product_line="new")
    assert (s.approve_above, s.decline_below) == (560, 480)
    assert not ApprovalRequest.objects.exists()


def test_tier_cutoffs():
    cuts = {"A": 590, "B": 570, "C": 560}
    assert [tier_for(s, cuts) for s in (600, 590, 589, 570, 560, 559)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
    ]
    assert tier_for(None, cuts) == ""


def test_early_warning_strong_hit_is_high_risk():
    hits = early_warning_evaluate(
        loan_ref="L-1", facts={"phone_status": "deactivated", "late_payments_6m": 1}
    )
    assert [h.rule_code for h in hits] == ["PHONE_DEACTIVATED"]
    assert hits.level == "high"
    assert EarlyWarningHit.objects.get().evidence == {"phone_status": "deactivated"}


def test_early_warning_weak_hits_and_levels():
    facts = {
        "late_payments_6m": 3,
        "recent_repayments": ["3000.00", "2500.00", "1800.00"],
        "dealer_grade": "C",
        "dealer_grade_previous": "B",
        "gps_offline_days": 7,  # not more than 7: no hit
        "new_bureau_debt": "50000.00",  # not above 50,000: no hit
    }
    hits = early_warning_evaluate(loan_ref="L-2", facts=facts)
    assert sorted(h.rule_code for h in hits) == [
        "DEALER_GRADE_DROP",
        "LATE_REPEATED",
        "REPAYMENT_FALLING",
    ]
    assert hits.level == "medium"
    one = early_warning_evaluate(loan_ref="L-3", facts={"late_payments_6m": 2})
    assert one.level == "low"
    assert early_warning_evaluate(loan_ref="L-4", facts={}).level == "none"


def test_early_warning_rules_are_configurable():
    early_warning_evaluate(loan_ref="L-5", facts={})
    EarlyWarningRule.objects.filter(code="GPS_OFFLINE").update(params={"days": 3})
    EarlyWarningRule.objects.filter(code="COURT_ENFORCEMENT").update(enabled=False)
    hits = early_warning_evaluate(
        loan_ref="L-6", facts={"gps_offline_days": 4, "court_enforcement": True}
    )
    assert [h.rule_code for h in hits] == ["GPS_OFFLINE"]
    assert hits[0].evidence == {"gps_offline_days": 4, "limit": 3}
