"""Risk's four-eyes actions (autofin.approvals): promoting a scorecard version to champion, and
strategy changes (the score thresholds of a product line, which rule set is in force).

Risk analysts make and check them; the checker sees the thresholds before → after with how many
recent decisions would change, or the rules that differ between the two rule sets.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.approvals import (
    ApprovalError,
    Change,
    FourEyesAction,
    Submission,
    four_eyes_action_register,
    four_eyes_submit,
)
from autofin.roles import Role, user_has_role
from risk.models import RuleSet, ScorecardVersion, Strategy
from risk.services.rulesets import rule_set_activate
from risk.services.scorecards import scorecard_promote
from risk.services.strategy import (
    DEFAULT_STRATEGY,
    StrategyError,
    strategy_preview,
    strategy_snapshot,
    strategy_update,
    strategy_validate,
)

SCORECARD_PROMOTE = "scorecard_promote"
STRATEGY_CHANGE = "strategy_change"
RULE_SET_ACTIVATE = "rule_set_activate"


def _analyst(user, target) -> bool:
    return user_has_role(user, Role.RISK_ANALYST)


def _auc(v: ScorecardVersion | None) -> str:
    if v is None:
        return "—"
    auc = f"{v.test_auc:.4f}" if v.test_auc is not None else "—"
    return f"v{v.version}（AUC {auc}）"


# --- scorecard promotion -----------------------------------------------------------------------


def _scorecard_describe(version: ScorecardVersion, payload: dict) -> list[Change]:
    version = ScorecardVersion.objects.select_related("scorecard").get(pk=version.pk)
    if version.status == ScorecardVersion.Status.CHAMPION:
        raise ApprovalError(_("该版本已是冠军模型。"), code="done")
    champion = version.scorecard.versions.filter(status=ScorecardVersion.Status.CHAMPION).first()
    return [
        Change(_("评分卡"), version.scorecard.name, version.scorecard.name),
        Change(_("冠军模型"), _auc(champion), _auc(version)),
        Change(_("本版本状态"), version.get_status_display(), gettext("冠军")),
    ]


def _scorecard_execute(*, actor, maker, target: ScorecardVersion, payload: dict):
    return scorecard_promote(version_id=target.pk, actor=actor, reason=payload.get("reason", ""))


def scorecard_promote_submit(*, version_id: int, actor: Any, reason: str = "") -> Submission:
    """Make a version champion, or (four eyes on) ask a second risk analyst to approve it."""
    version = ScorecardVersion.objects.select_related("scorecard").get(pk=version_id)
    return four_eyes_submit(
        action=SCORECARD_PROMOTE,
        actor=actor,
        target=version,
        payload={"reason": reason or ""},
        reason=reason,
    )


# --- strategy thresholds -----------------------------------------------------------------------


def _thresholds(s: dict) -> list[tuple[Any, Any]]:
    cuts = s.get("tier_cutoffs") or {}
    return [
        (_("自动通过分数线（含）"), s.get("approve_above")),
        (_("拒绝分数线（低于）"), s.get("decline_below")),
        (_("A 层分数线"), cuts.get("A")),
        (_("B 层分数线"), cuts.get("B")),
        (_("C 层分数线"), cuts.get("C")),
    ]


def _strategy_describe(strategy: Strategy, payload: dict) -> list[Change]:
    before = strategy_snapshot(strategy.product_line)
    changes = [Change(_("产品线"), strategy.get_product_line_display(),
                      strategy.get_product_line_display())]  # fmt: skip
    for (label, old), (_label, new) in zip(_thresholds(before), _thresholds(payload), strict=True):
        changes.append(Change(label, old, new))
    preview = strategy_preview(
        product_line=strategy.product_line,
        approve_above=payload["approve_above"],
        decline_below=payload["decline_below"],
    )
    changes.append(
        Change(
            _("最近评分记录的结论变化"),
            gettext("共 %(n)s 条") % {"n": preview["n"]},
            gettext("%(m)s 条结论将改变") % {"m": preview["moved"]},
        )
    )
    return changes


def _strategy_execute(*, actor, maker, target: Strategy, payload: dict) -> Strategy:
    try:
        return strategy_update(
            product_line=target.product_line,
            approve_above=payload["approve_above"],
            decline_below=payload["decline_below"],
            tier_cutoffs=payload["tier_cutoffs"],
            actor=actor,
        )
    except StrategyError as exc:
        raise ApprovalError(exc.message) from exc


def strategy_change_submit(
    *,
    product_line: str,
    approve_above: int,
    decline_below: int,
    tier_cutoffs: dict,
    actor: Any,
    reason: str = "",
) -> Submission:
    """Change a product line's thresholds, or (four eyes on) ask a second analyst to approve.
    Invalid thresholds raise StrategyError (with its field) before anything is stored."""
    tier_cutoffs = {k: int(v) for k, v in tier_cutoffs.items()}
    strategy_validate(
        product_line=product_line,
        approve_above=int(approve_above),
        decline_below=int(decline_below),
        tier_cutoffs=tier_cutoffs,
    )
    # The request needs an object to point at; a line still on the defaults gets its row with
    # exactly those values (what was in force does not change).
    strategy, _created = Strategy.objects.get_or_create(
        product_line=product_line,
        defaults={**DEFAULT_STRATEGY, "tier_cutoffs": dict(DEFAULT_STRATEGY["tier_cutoffs"])},
    )
    return four_eyes_submit(
        action=STRATEGY_CHANGE,
        actor=actor,
        target=strategy,
        payload={
            "approve_above": int(approve_above),
            "decline_below": int(decline_below),
            "tier_cutoffs": tier_cutoffs,
        },
        reason=reason,
    )


# --- rule set activation -----------------------------------------------------------------------


def _rule_lines(rule_set: RuleSet | None) -> dict[str, str]:
    if rule_set is None:
        return {}
    return {
        r.code: f"{r.get_rule_kind_display()} · {gettext('启用') if r.enabled else gettext('停用')}"
        f" · {json.dumps(r.params, ensure_ascii=False, sort_keys=True)}"
        for r in rule_set.rules.order_by("position", "code")
    }


def _rule_set_describe(rule_set: RuleSet, payload: dict) -> list[Change]:
    rule_set = RuleSet.objects.get(pk=rule_set.pk)
    if rule_set.is_active:
        raise ApprovalError(_("该规则集已在生效中。"), code="done")
    if _rule_lines(rule_set) != payload.get("rules"):
        raise ApprovalError(_("规则集在提交复核后已被修改，请驳回本申请并重新提交。"), code="stale")
    active = RuleSet.objects.filter(is_active=True).first()
    changes = [Change(_("生效规则集"), str(active) if active else "—", str(rule_set))]
    old, new = _rule_lines(active), _rule_lines(rule_set)
    for code in sorted(set(old) | set(new)):
        if old.get(code) != new.get(code):
            changes.append(Change(code, old.get(code, "—"), new.get(code, "—")))
    return changes


def _rule_set_execute(*, actor, maker, target: RuleSet, payload: dict) -> RuleSet:
    _rule_set_describe(target, payload)
    return rule_set_activate(rule_set_id=target.pk, actor=actor)


def rule_set_activate_submit(*, rule_set_id: int, actor: Any, reason: str = "") -> Submission:
    """Put a rule set in force, or (four eyes on) ask a second analyst to approve it."""
    rule_set = RuleSet.objects.get(pk=rule_set_id)
    return four_eyes_submit(
        action=RULE_SET_ACTIVATE,
        actor=actor,
        target=rule_set,
        payload={"rules": _rule_lines(rule_set)},
        reason=reason,
    )


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=SCORECARD_PROMOTE,
            label=_("评分卡上线（设为冠军模型）"),
            policy_key="four_eyes.scorecard_promote",
            execute=_scorecard_execute,
            authorised=_analyst,
            describe=_scorecard_describe,
            url=lambda v: reverse("risk:model_detail", kwargs={"pk": v.pk}),
        )
    )
    four_eyes_action_register(
        FourEyesAction(
            name=STRATEGY_CHANGE,
            label=_("审批策略阈值变更"),
            policy_key="four_eyes.strategy_change",
            execute=_strategy_execute,
            authorised=_analyst,
            describe=_strategy_describe,
            url=lambda s: f"{reverse('risk:strategy')}?product_line={s.product_line}",
        )
    )
    four_eyes_action_register(
        FourEyesAction(
            name=RULE_SET_ACTIVATE,
            label=_("规则集生效"),
            policy_key="four_eyes.strategy_change",
            execute=_rule_set_execute,
            authorised=_analyst,
            describe=_rule_set_describe,
        )
    )
