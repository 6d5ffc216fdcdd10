"""Demo data: the payee register (each entry maker-checked by the demo finance operator and
approver), seeded before the contracts that name them. Idempotent: payees already registered
are left alone."""

from __future__ import annotations

from autofin.roles import Role
from autofin.seed.users import demo_user
from origination.models.payees import Payee
from origination.services.payees import payee_change_approve, payee_change_prepare

# Sandbox bank rule (servicing.gateway): accounts ending 0001 fail, 0002/0003 time out once.
PAYEES = [
    ("insurer", "中国平安财产保险股份有限公司", "中国工商银行上海分行", "6222021002000456"),
    ("insurer", "中国人民财产保险股份有限公司", "中国建设银行上海分行", "6227001002000789"),
    ("tax", "国家税务总局上海市税务局", "中国人民银行上海总部国库", "6222021003000123"),
    ("warranty", "安心汽车延保服务有限公司", "招商银行上海分行", "6214831004000555"),
    ("accessory", "车享精品汽车用品有限公司", "交通银行上海分行", "6222601006000111"),
    ("gps", "北斗车联 GPS 服务有限公司", "中国银行上海分行", "6216601005000666"),
    ("gps", "GPS 服务商", "中国银行上海分行", "6216601005000777"),
    # offers: the partner service centres maintenance credit pays (保养分期)
    ("service_centre", "上海星辰汽车维修保养中心", "招商银行上海分行", "6214831007000321"),
    ("service_centre", "浦东快修汽车服务有限公司", "中国工商银行上海分行", "6222021007000654"),
]


def payees_register(*, stdout, context: dict) -> None:
    users = context.get("users", {})
    maker = users.get(Role.FINANCE_OPERATOR) or demo_user(
        "finance_op", "财务经办", Role.FINANCE_OPERATOR
    )
    checker = users.get(Role.FINANCE_APPROVER) or demo_user(
        "finance_ap", "财务复核", Role.FINANCE_APPROVER
    )
    created = 0
    for payee_type, name, bank, number in PAYEES:
        if Payee.objects.filter(payee_type=payee_type, name=name, active=True).exists():
            continue
        change = payee_change_prepare(
            actor=maker,
            payee_type=payee_type,
            name=name,
            account_name=name,
            bank_name=bank,
            account_number=number,
            reason="演示数据",
        )
        payee_change_approve(actor=checker, change_id=change.pk)
        created += 1
    stdout.write(f"disbursement: {created} payees registered (maker-checked)\n")
