"""Rule set versions: the default set, activation and cloning (edits happen in the admin)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from risk.models import Rule, RuleSet
from risk.rules import DEFAULT_RULES


def rule_set_default_ensure() -> RuleSet:
    """The active rule set; on a new database, version 1 with the default rules (active)."""
    active = RuleSet.objects.filter(is_active=True).first()
    if active is not None:
        return active
    try:
        with transaction.atomic():
            return _rule_set_default_create()
    except IntegrityError:
        # Another process created it at the same moment: use theirs.
        return RuleSet.objects.get(is_active=True)


def _rule_set_default_create() -> RuleSet:
    if RuleSet.objects.exists():
        rs = RuleSet.objects.select_for_update().order_by("-version").first()
        rs.is_active = True
        rs.save(update_fields=["is_active"])
        return rs
    rs = RuleSet.objects.create(version=1, name="默认规则", is_active=True)
    with translation.override("zh-hans"):
        Rule.objects.bulk_create(
            [
                Rule(
                    rule_set=rs,
                    code=code,
                    rule_kind=kind,
                    reason_code=reason,
                    params=params,
                    explanation=str(text),
                    position=i,
                )
                for i, (code, kind, reason, params, text) in enumerate(DEFAULT_RULES)
            ]
        )
    audit_record(actor="system", obj=rs, action="rule_set_create", to_state="active")
    return rs


def rule_set_clone(*, rule_set_id: int, actor, name: str = "") -> RuleSet:
    """A new inactive version with the same rules, to edit in the admin and then activate."""
    with transaction.atomic():
        source = RuleSet.objects.get(pk=rule_set_id)
        version = (RuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1
        rs = RuleSet.objects.create(version=version, name=name or source.name)
        Rule.objects.bulk_create(
            [
                Rule(
                    rule_set=rs,
                    code=r.code,
                    rule_kind=r.rule_kind,
                    reason_code=r.reason_code,
                    params=r.params,
                    enabled=r.enabled,
                    explanation=r.explanation,
                    position=r.position,
                )
                for r in source.rules.all()
            ]
        )
        audit_record(actor=actor, obj=rs, action="rule_set_clone", data={"from": source.version})
    return rs


def rule_set_activate(*, rule_set_id: int, actor) -> RuleSet:
    """Put a rule set in force (the others stop). Four eyes: the admin goes through
    risk.approvals.rule_set_activate_submit (policy four_eyes.strategy_change)."""
    four_eyes_gate("rule_set_activate")
    with transaction.atomic():
        sets = list(RuleSet.objects.select_for_update().order_by("pk"))
        target = next(s for s in sets if s.pk == rule_set_id)
        for s in sets:
            if s.is_active and s.pk != target.pk:
                s.is_active = False
                s.save(update_fields=["is_active"])
                audit_record(actor=actor, obj=s, action="rule_set_deactivate", to_state="inactive")
        if not target.is_active:
            target.is_active = True
            target.save(update_fields=["is_active"])
            audit_record(actor=actor, obj=target, action="rule_set_activate", to_state="active")
    return target


def rules_of(rule_set: RuleSet) -> list[dict]:
    return [
        {
            "code": r.code,
            "rule_kind": r.rule_kind,
            "reason_code": r.reason_code,
            "params": r.params,
            "enabled": r.enabled,
            "explanation": r.explanation,
        }
        for r in rule_set.rules.all().order_by("position", "id")
    ]
