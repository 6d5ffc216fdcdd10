"""The court's lists (被执行人, 失信被执行人) as hard rules in a database that already has a rule
set: a new version (the one in force plus the two rules) is put in force. A rule-set version is
never edited in place, so decisions made under the old one still replay unchanged. A new
database gets the rules with the default set (risk.rules.DEFAULT_RULES)."""

from django.db import migrations
from django.db.models import Max

# Copied, not imported: a migration must keep meaning what it meant when it was written.
RULES = [
    ("COURT_ENFORCEMENT", "D06_COURT_ENFORCEMENT"),
    ("DISHONEST_DEBTOR", "D07_DISHONEST_DEBTOR"),
]
EXPLANATION = "申请人信用记录不符合要求"


def add_rules(apps, schema_editor):
    RuleSet = apps.get_model("risk", "RuleSet")
    Rule = apps.get_model("risk", "Rule")
    active = RuleSet.objects.filter(is_active=True).first()
    if active is None:
        return
    have = set(active.rules.values_list("code", flat=True))
    missing = [(code, reason) for code, reason in RULES if code not in have]
    if not missing:
        return
    version = (RuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1
    new = RuleSet.objects.create(
        version=version,
        name=active.name,
        notes=f"v{active.version} 加上征信返回的法院被执行人、失信被执行人拒绝规则（迁移 risk 0003）",
    )
    rules = list(active.rules.order_by("position", "id"))
    last = max((r.position for r in rules), default=-1)
    Rule.objects.bulk_create(
        [
            Rule(
                rule_set=new,
                code=r.code,
                rule_kind=r.rule_kind,
                reason_code=r.reason_code,
                params=r.params,
                enabled=r.enabled,
                explanation=r.explanation,
                position=r.position,
            )
            for r in rules
        ]
        + [
            Rule(
                rule_set=new,
                code=code,
                rule_kind="decline",
                reason_code=reason,
                params={},
                explanation=EXPLANATION,
                position=last + 1 + i,
            )
            for i, (code, reason) in enumerate(missing)
        ]
    )
    RuleSet.objects.filter(pk=active.pk).update(is_active=False)
    RuleSet.objects.filter(pk=new.pk).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_bureau_query")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
