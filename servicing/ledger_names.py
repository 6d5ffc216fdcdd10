"""The chart of accounts' names for people, by account code, in the page's language.

LedgerAccount rows carry a Chinese `name` (seeded by migration 0002); rows are not translated,
so pages print `account_name(code)`: the gettext name for a known code, the row's name for an
account added later without one here."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

ACCOUNT_NAMES = {
    "principal_receivable": _("应收贷款本金"),
    "interest_receivable": _("应收利息"),
    "fee_receivable": _("应收手续费"),
    "penalty_receivable": _("应收罚息"),
    "oem_subsidy_receivable": _("应收厂商贴息"),
    "bank_clearing": _("银行清算户"),
    "customer_suspense": _("客户暂收款（溢缴款）"),
    "dealer_payable": _("应付经销商款"),
    "insurer_payable": _("应付保险公司款"),
    "tax_payable": _("应付购置税款"),
    "warranty_payable": _("应付延保供应商款"),
    "accessory_payable": _("应付精品供应商款"),
    "gps_payable": _("应付 GPS 服务商款"),
    "dealer_deposit": _("经销商保证金"),
    "commission_payable": _("应付返佣"),
    "interest_income": _("利息收入"),
    "fee_income": _("手续费收入"),
    "penalty_income": _("罚息收入"),
    "recovery_income": _("核销后收回"),
    "charge_off_expense": _("核销损失"),
    "commission_expense": _("返佣支出"),
    "rounding": _("尾差调整"),
    "off_balance_interest": _("表外应收利息"),
    "off_balance_interest_contra": _("表外应收利息备抵"),
    "unidentified_receipts": _("待查明款项"),
    "impairment_expense": _("信用减值损失"),
    "loan_loss_allowance": _("贷款损失准备"),
    "oem_subsidy_unbilled": _("应收厂商贴息（未索赔）"),
    "oem_subsidy_deferred": _("递延贴息收入"),
    "oem_subsidy_income": _("贴息利息收入"),
    "vat_output": _("销项税额"),
    "recourse_receivable": _("应收经销商回购款"),
    "floorplan_receivable": _("库存融资款"),
    "floorplan_interest_receivable": _("应收库存融资利息"),
    "floorplan_interest_income": _("库存融资利息收入"),
    "lease_payments_unearned": _("应收融资租赁款（未实现融资收益部分）"),
    "unearned_finance_income": _("未实现融资收益"),
    "vat_input": _("进项税额"),
    "vat_output_deferred": _("待转销项税额"),
    "customer_payable": _("应付客户款"),
    "recoverable_cost_receivable": _("应收收车处置费用"),
    "repossession_vendor_payable": _("应付收车服务商款"),
    "insurance_commission_receivable": _("应收保险代理手续费"),
    "insurance_commission_income": _("保险代理手续费收入"),
    "service_centre_payable": _("应付维修保养服务商款"),
}


# A receivable with a credit balance is money the customer paid before it fell due: the
# ledger keeps it on the receivable (the nightly accrual brings it back to zero by the due
# date, and charge-off and restructuring net it), so a page shows it as what it is, received
# in advance, rather than as a negative receivable.
ADVANCE_NAMES = {
    "interest_receivable": _("预收利息"),
    "fee_receivable": _("预收手续费"),
    "penalty_receivable": _("预收罚息"),
}


def balance_shown(code: str, amount: Decimal, fallback: str = "") -> tuple[str, Decimal]:
    """(name, amount) a page shows for a loan's ledger balance on its normal side: a receivable
    below zero is named as received in advance, with its positive amount."""
    if amount < 0 and code in ADVANCE_NAMES:
        return str(ADVANCE_NAMES[code]), -amount
    return account_name(code, fallback), amount


def account_name(code: str, fallback: str = "") -> str:
    """The account's name in the active language (the row's own name if the code is new)."""
    name = ACCOUNT_NAMES.get(code)
    return str(name) if name is not None else (fallback or code)
