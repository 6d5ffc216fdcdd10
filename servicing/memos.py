"""Journal-entry memos (摘要) and loan status-change reasons, by code.

The books are kept in Chinese: a posting stores `memo(code, **params)`, the Chinese text,
whatever the language of the request that posted it. A page reads the stored text back through
`memo_display`, which recognises the template it was written from and renders that template in
the page's language, with each parameter that is itself a label (代扣, 期供还款) translated too.
A text written by none of these templates (an older row, a reason a person typed) is shown as
stored."""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.utils.translation import get_language, gettext, gettext_noop, override

MEMOS = {
    "interest_accrual": gettext_noop("利息计提 %(start)s ~ %(through)s"),
    "penalty_accrual": gettext_noop("罚息计提"),
    "eod_interest_accrual": gettext_noop("日结利息计提 %(date)s"),
    "eod_penalty_accrual": gettext_noop("日结罚息计提 %(date)s"),
    "disbursement": gettext_noop("放款 %(ref)s"),
    "disbursement_payment": gettext_noop("放款付款 %(ref)s %(payee)s"),
    "demo_disbursement": gettext_noop("放款（演示数据）"),
    "loan_open": gettext_noop("放款开户"),
    "charge_off": gettext_noop("贷款核销"),
    "eod_charge_off": gettext_noop("逾期 %(dpd)s 天，日结自动核销"),
    "paid_off": gettext_noop("全部期供已还清"),
    "restructure": gettext_noop("贷款重组：欠息、费用、罚息转本金"),
    "early_settlement": gettext_noop("提前结清：利息调整与结清手续费"),
    "prepayment": gettext_noop("部分提前还款"),
    "reversal": gettext_noop("冲正 #%(id)s：%(reason)s"),
    "reversal_penalty": gettext_noop("冲正补计罚息"),
    # a correction to a closed accounting period, posted in the next open one (r-close)
    "period_adjustment": gettext_noop("期后调整 %(period)s（已结账期间）：%(reason)s"),
    "payment_parked": gettext_noop("支付回调待核实，暂挂待查明款项"),
    # the repayment's source and purpose labels (their Chinese choice labels, translated back)
    "repayment": gettext_noop("还款：%(source)s %(purpose)s"),
    # OEM subsidies (oem)
    "oem_subsidy_defer": gettext_noop("厂商贴息递延 %(ref)s"),
    "oem_subsidy_recognise": gettext_noop("日结贴息收入确认 %(date)s"),
    "oem_claim": gettext_noop("厂商贴息索赔 %(date)s"),
    "oem_claim_write_down": gettext_noop("贴息索赔争议按厂商金额核减 %(ref)s"),
    "oem_receipt": gettext_noop("厂商贴息回款 %(ref)s"),
    "oem_subsidy_end": gettext_noop("贷款提前终止，贴息处理：%(option)s"),
    "invoice_vat": gettext_noop("发票销项税额 %(number)s"),
    # leases (issue 19): commencement, the release of unearned finance income
    "lease_commence": gettext_noop("融资租赁起租 %(ref)s"),
    "lease_unearned_release": gettext_noop("未实现融资收益转出"),
    # floor-plan (库存融资): the night's interest, a line frozen, the payoff at a retail sale
    "eod_floorplan_accrual": gettext_noop("日结库存融资利息计提 %(date)s"),
    "floorplan_overdue_freeze": gettext_noop("库存融资逾期（%(date)s）：%(vins)s"),
    "floorplan_sold_out_of_trust": gettext_noop("盘库发现违规售车（%(date)s）：%(vins)s"),
    "floorplan_retail_payoff": gettext_noop("零售放款结清库存融资 %(ref)s %(vin)s"),
    # lease end of term (eot)
    "lease_charge": gettext_noop("租赁费用计入末期租金"),
    "lease_termination_unearned": gettext_noop("提前终止租赁，转销未实现融资收益"),
    # insurance renewals and the agency commission (insurance)
    "insurance_premium": gettext_noop("续保保费代收 %(insurer)s %(ref)s"),
    "insurance_premium_refund": gettext_noop("续保保费待退还客户 %(insurer)s %(ref)s"),
    "insurance_commission": gettext_noop("保险代理手续费 %(insurer)s %(number)s"),
    "insurance_commission_receipt": gettext_noop("保险代理手续费回款 %(insurer)s %(ref)s"),
    # integrate: the premium the customer paid us, paid on to the insurer
    "insurance_premium_remitted": gettext_noop("续保保费转付保险公司 %(insurer)s %(ref)s"),
}


def memo(code: str, **params) -> str:
    """The stored (Chinese) text of memo `code`: a label given as a parameter is taken in
    Chinese too, whatever the request's language."""
    text = MEMOS[code]
    with override(settings.LANGUAGE_CODE):
        return text % {k: str(v) for k, v in params.items()} if params else text


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for template in MEMOS.values():
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        patterns.append((re.compile(f"^{regex}$", re.DOTALL), template))
    return patterns


def memo_display(text: str) -> str:
    """A stored memo in the page's language (see the module docstring)."""
    if not text or (get_language() or "").startswith("zh"):
        return text
    for pattern, template in _patterns():
        match = pattern.match(text)
        if match:
            params = {k: gettext(v) for k, v in match.groupdict().items()}
            return gettext(template) % params if params else gettext(template)
    return text
