"""What OCR of the documents brings (issue #20): the perceptual hashes in the store of facts
seen, and five refer rules added to a database's rule set in force as a new version (a
version is never edited in place, so old decisions replay unchanged). A new database gets the
rules with the default set (risk.rules.DEFAULT_RULES)."""

from django.db import migrations, models
from django.db.models import Max

# Copied, not imported: a migration must keep meaning what it meant when it was written.
RULES = [
    ("DOCUMENT_MISMATCH", "R06_DOCUMENT_MISMATCH", {}, "申请材料需要进一步核实"),
    ("DOCUMENT_EXPIRED", "R07_DOCUMENT_EXPIRED", {}, "证件已过有效期，请提供有效证件"),
    ("DOCUMENT_EDITED", "R08_DOCUMENT_EDITED", {}, "申请材料需要进一步核实"),
    (
        "INVOICE_ABOVE_GUIDE",
        "R09_INVOICE_ABOVE_GUIDE",
        {"max_pct": 10},
        "车辆成交价高于指导价较多，需要人工审核",
    ),
    (
        "FRAUD_DOCUMENT_NEAR_DUPLICATE",
        "F07_DOCUMENT_NEAR_DUPLICATE",
        {"max_distance": 8},
        "申请材料需要进一步核实",
    ),
]


def add_rules(apps, schema_editor):
    RuleSet = apps.get_model("risk", "RuleSet")
    Rule = apps.get_model("risk", "Rule")
    active = RuleSet.objects.filter(is_active=True).first()
    if active is None:
        return
    have = set(active.rules.values_list("code", flat=True))
    missing = [r for r in RULES if r[0] not in have]
    if not missing:
        return
    version = (RuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1
    new = RuleSet.objects.create(
        version=version,
        name=active.name,
        notes=f"v{active.version} 加上证件识别（OCR）核对与资料图片相似度规则（迁移 risk 0005）",
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
                rule_kind="refer",
                reason_code=reason,
                params=params,
                explanation=explanation,
                position=last + 1 + i,
            )
            for i, (code, reason, params, explanation) in enumerate(missing)
        ]
    )
    RuleSet.objects.filter(pk=active.pk).update(is_active=False)
    RuleSet.objects.filter(pk=new.pk).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0004_aml"),
    ]

    operations = [
        migrations.RunPython(add_rules, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="seenfact",
            name="kind",
            field=models.CharField(
                choices=[
                    ("id_number", "身份证号"),
                    ("phone", "手机号"),
                    ("bank_account", "银行账户"),
                    ("vin", "车架号"),
                    ("document", "文件"),
                    ("document_phash", "图像指纹"),
                ],
                max_length=20,
                verbose_name="类型",
            ),
        ),
    ]
