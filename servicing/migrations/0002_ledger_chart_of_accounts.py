"""Seed the chart of accounts. The codes are fixed names the services post to (AccountCode)."""

from django.db import migrations

# (code, zh name, account type, normal side, description)
CHART = [
    ("principal_receivable", "应收贷款本金", "asset", "D", "放款形成、还款冲减的贷款本金"),
    ("interest_receivable", "应收利息", "asset", "D", "已计提未收回的表内利息"),
    ("fee_receivable", "应收手续费", "asset", "D", "手续费、GPS 费、抵押登记费等应收"),
    ("penalty_receivable", "应收罚息", "asset", "D", "已计提未收回的罚息"),
    ("oem_subsidy_receivable", "应收厂商贴息", "asset", "D", "厂商承担、尚未结算的贴息"),
    ("bank_clearing", "银行清算户", "asset", "D", "放款付出与还款收入经由的银行清算账户"),
    ("customer_suspense", "客户暂收款（溢缴款）", "liability", "C", "未能匹配或多缴的客户款项"),
    ("dealer_payable", "应付经销商款", "liability", "C", "放款时应付经销商的车款"),
    ("insurer_payable", "应付保险公司款", "liability", "C", "融资保险费应付保险公司"),
    ("tax_payable", "应付购置税款", "liability", "C", "融资购置税应付税务机关"),
    ("warranty_payable", "应付延保供应商款", "liability", "C", "融资延保费应付延保供应商"),
    ("accessory_payable", "应付精品供应商款", "liability", "C", "融资精品款应付精品供应商"),
    ("gps_payable", "应付 GPS 服务商款", "liability", "C", "GPS 设备及服务费应付服务商"),
    ("dealer_deposit", "经销商保证金", "liability", "C", "收取并代为保管的经销商保证金"),
    ("commission_payable", "应付返佣", "liability", "C", "已计提未支付的经销商返佣"),
    ("interest_income", "利息收入", "income", "C", "表内计提的贷款利息收入"),
    ("fee_income", "手续费收入", "income", "C", "手续费等收入"),
    ("penalty_income", "罚息收入", "income", "C", "逾期罚息收入"),
    ("recovery_income", "核销后收回", "income", "C", "已核销贷款的收回款"),
    ("charge_off_expense", "核销损失", "expense", "D", "核销贷款形成的损失"),
    ("commission_expense", "返佣支出", "expense", "D", "经销商返佣费用"),
    ("rounding", "尾差调整", "expense", "D", "分摊与四舍五入产生的尾差"),
    ("off_balance_interest", "表外应收利息", "memo", "D", "停止表内计提后登记的表外利息"),
    ("off_balance_interest_contra", "表外应收利息备抵", "memo", "C", "表外利息的对应科目，使表外分录平衡"),
    # added by 0009 for databases past this migration; listed here so a fresh chart has it too
    ("unidentified_receipts", "待查明款项", "liability", "C", "支付回调金额与订单不符等原因暂挂、待人工核实的款项"),
]


def seed(apps, schema_editor):
    LedgerAccount = apps.get_model("servicing", "LedgerAccount")
    for order, (code, name, account_type, side, description) in enumerate(CHART, start=1):
        LedgerAccount.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "account_type": account_type,
                "normal_side": side,
                "sort_order": order * 10,
                "description": description,
            },
        )


def unseed(apps, schema_editor):
    LedgerAccount = apps.get_model("servicing", "LedgerAccount")
    LedgerAccount.objects.filter(code__in=[row[0] for row in CHART]).delete()


class Migration(migrations.Migration):
    dependencies = [("servicing", "0001_ledger")]

    operations = [migrations.RunPython(seed, unseed)]
