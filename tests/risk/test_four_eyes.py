"""Four eyes on risk's changes: promoting a scorecard, the strategy thresholds and which rule set
is in force change only when a second risk analyst approves what the first one asked."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from autofin.approvals import ApprovalError, approval_request_approve, approval_request_reject
from autofin.models import ApprovalRequest
from autofin.roles import Role
from risk.approvals import (
    rule_set_activate_submit,
    scorecard_promote_submit,
    strategy_change_submit,
)
from risk.models import Rule, RuleSet, ScorecardVersion, Strategy
from risk.services import rule_set_clone, rule_set_default_ensure
from risk.services.strategy import DEFAULT_STRATEGY
from tests.factories import UserFactory
from tests.risk.engine_support import HAND_ARTEFACT

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    return UserFactory(username="ana_m", roles=[Role.RISK_ANALYST])


@pytest.fixture
def analyst2():
    return UserFactory(username="ana_c", roles=[Role.RISK_ANALYST])


@pytest.fixture
def candidate(hand_scorecard):
    return ScorecardVersion.objects.create(
        scorecard=hand_scorecard.scorecard,
        version=2,
        artefact=copy.deepcopy(HAND_ARTEFACT),
        test_auc=0.75,
    )


def _statuses(*versions) -> tuple:
    return tuple(ScorecardVersion.objects.get(pk=v.pk).status for v in versions)


def _thresholds(line: str = "new") -> tuple:
    s = Strategy.objects.get(product_line=line)
    return (s.approve_above, s.decline_below, s.tier_cutoffs)


def test_a_promotion_waits_for_a_second_analyst(hand_scorecard, candidate, analyst, analyst2):
    submitted = scorecard_promote_submit(version_id=candidate.pk, actor=analyst, reason="AUC 更高")

    assert submitted.pending
    assert _statuses(hand_scorecard, candidate) == ("champion", "candidate")
    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=submitted.request.pk, checker=analyst)
    assert exc.value.code == "own_request"
    assert _statuses(hand_scorecard, candidate) == ("champion", "candidate")

    approval_request_approve(request_id=submitted.request.pk, checker=analyst2)

    assert _statuses(hand_scorecard, candidate) == ("retired", "champion")


def test_a_rejected_promotion_changes_nothing(hand_scorecard, candidate, analyst, analyst2):
    request = scorecard_promote_submit(version_id=candidate.pk, actor=analyst).request

    approval_request_reject(request_id=request.pk, checker=analyst2, reason="样本期太短")

    assert _statuses(hand_scorecard, candidate) == ("champion", "candidate")
    assert ApprovalRequest.objects.get(pk=request.pk).status == "rejected"


def test_a_promotion_with_the_policy_off_is_immediate(hand_scorecard, candidate, analyst, policy):
    policy("four_eyes.scorecard_promote", "false")

    submitted = scorecard_promote_submit(version_id=candidate.pk, actor=analyst)

    assert not submitted.pending
    assert _statuses(hand_scorecard, candidate) == ("retired", "champion")
    assert not ApprovalRequest.objects.exists()


def test_only_risk_analysts_promote_or_approve(hand_scorecard, candidate, analyst):
    underwriter = UserFactory(roles=[Role.SENIOR_UNDERWRITER])
    with pytest.raises(ApprovalError):
        scorecard_promote_submit(version_id=candidate.pk, actor=underwriter)
    request = scorecard_promote_submit(version_id=candidate.pk, actor=analyst).request
    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=underwriter)
    assert exc.value.code == "forbidden"
    assert _statuses(hand_scorecard, candidate) == ("champion", "candidate")


def test_a_strategy_change_waits_and_the_checker_sees_its_effect(
    client, hand_scorecard, analyst, analyst2
):
    before = _thresholds()
    request = strategy_change_submit(
        product_line="new",
        approve_above=540,
        decline_below=470,
        tier_cutoffs={"A": 590, "B": 570, "C": 560},
        actor=analyst,
    ).request

    assert _thresholds() == before == (560, 480, {"A": 590, "B": 570, "C": 560})
    client.force_login(analyst2)
    flat = "".join(client.get(reverse("approvals")).content.decode().split())
    assert "<th>自动通过分数线（含）</th><td>560</td><td><strong>540</strong></td>" in flat
    assert "<th>拒绝分数线（低于）</th><td>480</td><td><strong>470</strong></td>" in flat
    assert "<th>A层分数线</th><td>590</td><td>590</td>" in flat
    assert "最近评分记录的结论变化" in flat

    client.post(reverse("approval_approve", args=[request.pk]))

    assert _thresholds() == (540, 470, {"A": 590, "B": 570, "C": 560})


def test_a_line_still_on_the_defaults_keeps_them_until_approval(analyst, analyst2):
    request = strategy_change_submit(
        product_line="used",
        approve_above=600,
        decline_below=520,
        tier_cutoffs={"A": 640, "B": 610, "C": 580},
        actor=analyst,
    ).request

    # The request needs a row to point at: it holds exactly the defaults in force before.
    assert _thresholds("used") == (
        DEFAULT_STRATEGY["approve_above"],
        DEFAULT_STRATEGY["decline_below"],
        DEFAULT_STRATEGY["tier_cutoffs"],
    )
    approval_request_approve(request_id=request.pk, checker=analyst2)
    assert _thresholds("used") == (600, 520, {"A": 640, "B": 610, "C": 580})


def test_a_rejected_strategy_change_changes_nothing(hand_scorecard, analyst, analyst2):
    before = _thresholds()
    request = strategy_change_submit(
        product_line="new",
        approve_above=540,
        decline_below=470,
        tier_cutoffs={"A": 590, "B": 570, "C": 560},
        actor=analyst,
    ).request

    approval_request_reject(request_id=request.pk, checker=analyst2, reason="转人工量过大")

    assert _thresholds() == before


def test_the_strategy_page_says_submitted_and_admin_cannot_edit_thresholds(
    client, hand_scorecard, analyst
):
    client.force_login(analyst)
    url = reverse("risk:strategy")
    response = client.post(
        url,
        {"product_line": "new", "approve_above": 540, "decline_below": 470,
         "tier_A": 590, "tier_B": 570, "tier_C": 560, "action": "save"},
        follow=True,
    )  # fmt: skip

    html = response.content.decode()
    assert "已提交复核" in html and 'id="strategy-pending"' in html
    assert _thresholds()[:2] == (560, 480)
    strategy = Strategy.objects.get(product_line="new")
    change = reverse("admin:risk_strategy_change", args=[strategy.pk])
    denied = client.post(change, {"product_line": "new", "approve_above": 300, "decline_below": 200,
                         "tier_cutoffs": "{}"})  # fmt: skip
    assert denied.status_code == 403
    assert _thresholds()[:2] == (560, 480)


def test_a_rule_set_goes_live_only_on_approval(rule_set, analyst, analyst2):
    v2 = rule_set_clone(rule_set_id=rule_set.pk, actor=analyst, name="收入规则停用")
    Rule.objects.filter(rule_set=v2, code="INCOME_UNVERIFIED").update(enabled=False)

    request = rule_set_activate_submit(rule_set_id=v2.pk, actor=analyst).request

    assert rule_set_default_ensure() == rule_set
    approval_request_approve(request_id=request.pk, checker=analyst2)
    assert RuleSet.objects.get(is_active=True) == v2


def test_a_rule_set_edited_after_the_request_is_not_activated(rule_set, analyst, analyst2):
    v2 = rule_set_clone(rule_set_id=rule_set.pk, actor=analyst, name="v2")
    request = rule_set_activate_submit(rule_set_id=v2.pk, actor=analyst).request
    Rule.objects.filter(rule_set=v2, code="INCOME_UNVERIFIED").update(enabled=False)

    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=analyst2)

    assert exc.value.code == "stale"
    assert RuleSet.objects.get(is_active=True) == rule_set


def test_rules_of_the_set_in_force_cannot_be_edited_in_the_admin(client, rule_set, analyst):
    client.force_login(analyst)
    rule = rule_set.rules.get(code="INCOME_UNVERIFIED")
    url = reverse("admin:risk_rule_change", args=[rule.pk])

    denied = client.post(url, {"code": rule.code, "rule_kind": rule.rule_kind, "enabled": "",
                      "reason_code": rule.reason_code, "params": "{}", "rule_set": rule_set.pk,
                      "position": rule.position, "explanation": "x"})  # fmt: skip

    assert denied.status_code == 403
    rule.refresh_from_db()
    assert rule.enabled is True


def test_the_admin_activate_action_submits_for_review(client, rule_set, analyst):
    v2 = rule_set_clone(rule_set_id=rule_set.pk, actor=analyst, name="v2")
    client.force_login(analyst)

    response = client.post(
        reverse("admin:risk_ruleset_changelist"),
        {"action": "activate", "_selected_action": [v2.pk]},
        follow=True,
    )

    assert "已提交复核" in response.content.decode()
    assert RuleSet.objects.get(is_active=True) == rule_set
    assert ApprovalRequest.objects.get().action == "rule_set_activate"
