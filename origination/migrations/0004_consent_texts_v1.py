"""The first version of each consent text (PIPL: separate, explicit, shown before consent)."""

from django.db import migrations
from django.utils import timezone

TEXTS = [
    (
        "credit_bureau",
        "本人授权 AutoFin 及其合作金融机构在本次汽车金融申请的审批及贷后管理期间，向中国人民银行"
        "征信中心及依法设立的征信机构查询、使用本人的信用报告，并报送本人的信贷信息。"
        "授权有效期至本次申请终结或合同结清之日。",
        "I authorise AutoFin and its partner institutions to obtain and use my credit report from "
        "the PBoC Credit Reference Center and licensed credit agencies, and to report my credit "
        "information, for assessing and managing this auto-finance application, until the "
        "application ends or the contract is settled.",
    ),
    (
        "sensitive_info",
        "本人单独同意 AutoFin 处理本人的敏感个人信息：金融账户信息（用于放款与代扣还款）以及车辆 "
        "GPS 位置信息（用于抵押车辆的风险管理）。处理目的、方式和保存期限见《个人信息保护政策》。"
        "拒绝将导致无法办理本业务；本人可随时撤回同意，撤回不影响撤回前的处理。",
        "I separately consent to AutoFin processing my sensitive personal information: financial "
        "account details (for disbursement and auto-debit) and the car's GPS location (for "
        "managing the secured car). Purposes, methods and retention are set out in the Privacy "
        "Policy. Refusing means the service cannot be provided; I may withdraw at any time, "
        "without affecting processing before withdrawal.",
    ),
    (
        "automated_decision",
        "本人知悉并同意 AutoFin 使用自动化决策（评分卡与规则）评估本次申请。本人有权要求说明决策"
        "结果，并有权拒绝仅通过自动化决策作出的决定，要求人工复核。",
        "I understand and agree that AutoFin uses automated decision-making (scorecards and "
        "rules) to assess this application. I may ask for an explanation of the result and may "
        "refuse a decision made solely by automated means and ask for a human review.",
    ),
]


def forwards(apps, schema_editor):
    ConsentText = apps.get_model("origination", "ConsentText")
    now = timezone.now()
    for kind, zh, en in TEXTS:
        ConsentText.objects.get_or_create(
            consent_kind=kind,
            version=1,
            defaults={"text_zh": zh, "text_en": en, "required": True, "effective_at": now},
        )


def backwards(apps, schema_editor):
    apps.get_model("origination", "ConsentText").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("origination", "0003_applications")]
    operations = [migrations.RunPython(forwards, backwards)]
