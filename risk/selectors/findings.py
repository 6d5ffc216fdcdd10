"""What risk found, for the underwriter: the bureau report, the verifications, the anti-fraud
hits and the rule hits, grouped and in plain words. The one label table for these keys and
codes lives here; pages never show a raw key, code value or dict."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

BUREAU_LABELS = {
    "found": gettext_lazy("征信报告"),
    "bureau_score": gettext_lazy("征信评分"),
    "inquiries_6m": gettext_lazy("近6个月查询次数"),
    "max_dpd_24m": gettext_lazy("近24个月最长逾期天数"),
    "cc_utilisation": gettext_lazy("信用卡使用率"),
    "monthly_debt_payments": gettext_lazy("每月已有负债还款"),
    "total_debt": gettext_lazy("负债总额"),
    "court_enforcement": gettext_lazy("法院被执行记录"),
    "dishonest_debtor": gettext_lazy("失信被执行人"),
}
MONEY_KEYS = {"monthly_debt_payments", "total_debt", "guide_price"}
PERCENT_KEYS = {"cc_utilisation"}
DAY_KEYS = {"max_dpd_24m"}
COUNT_KEYS = {"inquiries_6m", "applications_today", "max_per_day"}

VALUE_LABELS = {
    ("verification", "match"): gettext_lazy("一致"),
    ("verification", "mismatch"): gettext_lazy("不一致"),
    ("phone", "active"): gettext_lazy("正常在用"),
    ("phone", "deactivated"): gettext_lazy("已停机"),
    ("phone", "owner_changed"): gettext_lazy("已过户"),
    ("basis", "msrp"): gettext_lazy("厂商指导价"),
    ("basis", "used_valuation"): gettext_lazy("二手车估值"),
    ("basis", "deal_price"): gettext_lazy("按成交价"),
    ("basis", "none"): gettext_lazy("无估值"),
    ("income", "matched"): gettext_lazy("与申报收入相符"),
    ("income", "below"): gettext_lazy("低于申报收入"),
    ("income", "not_found"): gettext_lazy("查无记录"),
}
INCOME_SOURCE_LABELS = {
    "income_social": gettext_lazy("收入核验：社保及公积金"),
    "income_tax": gettext_lazy("收入核验：个人所得税"),
    "income_bank": gettext_lazy("收入核验：银行流水及代发工资"),
}

# rule and fraud codes as the underwriter reads them (the customer-facing texts stay vague)
CODE_LABELS = {
    "D01_AGE": gettext_lazy("申请人年龄不符合要求"),
    "D02_BLACKLIST": gettext_lazy("命中内部黑名单"),
    "D03_ID_MISMATCH": gettext_lazy("身份三要素核验不一致"),
    "D04_LTV_CAP": gettext_lazy("贷款价值比超过产品上限"),
    "D05_DEALER_SUSPENDED": gettext_lazy("经销商已暂停合作"),
    "D06_COURT_ENFORCEMENT": gettext_lazy("征信显示法院被执行记录（被执行人）"),
    "D07_DISHONEST_DEBTOR": gettext_lazy("征信显示列入失信被执行人名单"),
    "R01_INCOME_UNVERIFIED": gettext_lazy("收入无法核实"),
    "R02_DEALER_GRADE": gettext_lazy("经销商渠道评级偏低"),
    "R03_PRICE_ABOVE_GUIDE": gettext_lazy("成交价高于指导价"),
    "R04_CO_APPLICANT_MISSING": gettext_lazy("缺少共同借款人"),
    "R05_PHONE_STATUS": gettext_lazy("手机号状态异常或在网时间短"),
    "R06_DOCUMENT_MISMATCH": gettext_lazy("证件识别结果与申请信息不一致"),
    "R07_DOCUMENT_EXPIRED": gettext_lazy("证件已过有效期"),
    "R08_DOCUMENT_EDITED": gettext_lazy("资料图片有编辑软件处理痕迹"),
    "R09_INVOICE_ABOVE_GUIDE": gettext_lazy("购车发票价格高于指导价"),
    "F01_ID_MULTI_DEALER": gettext_lazy("同一身份证近期在多家经销商申请"),
    "F02_SHARED_PHONE": gettext_lazy("多名申请人共用同一手机号"),
    "F03_SHARED_BANK_ACCOUNT": gettext_lazy("多名申请人共用同一银行账户"),
    "F04_VIN_REUSED": gettext_lazy("同一车架号已用于其他申请"),
    "F05_SALES_VELOCITY": gettext_lazy("销售顾问当日进件量异常"),
    "F06_DOCUMENT_REUSED": gettext_lazy("同一份资料已用于其他申请"),
    "F07_DOCUMENT_NEAR_DUPLICATE": gettext_lazy("相似的资料图片已用于其他申请"),
    "S01_SCORE_LOW": gettext_lazy("综合评分低于拒绝线"),
    "S02_SCORE_REVIEW": gettext_lazy("综合评分落在人工审核区间"),
    "N01_NO_SCORECARD": gettext_lazy("无适用评分模型"),
    "A01_AFFORDABILITY": gettext_lazy("月供超出收入承受能力"),
    "A02_PRODUCT_TERMS": gettext_lazy("申请条件不符合产品要求"),
    "A03_DEBT_TO_INCOME": gettext_lazy("负债收入比超过上限（征信月还款加本次月供）"),
    "C01_COUNTER_OFFER": gettext_lazy("建议调整方案"),
    "V01_INCOME_VERIFIED_LOWER": gettext_lazy("核实收入低于申报收入，已按核实收入决策"),
}
KIND_LABELS = {
    "decline": gettext_lazy("拒绝"),
    "refer": gettext_lazy("转人工"),
    "counter_offer": gettext_lazy("调整方案"),
    "approve": gettext_lazy("通过"),
    "note": gettext_lazy("说明"),
}
EVIDENCE_LABELS = {
    "days": gettext_lazy("天数"),
    "kinds": gettext_lazy("类型"),
    "other_dealers": gettext_lazy("其他经销商"),
    "applicants": gettext_lazy("涉及申请人"),
    "applications": gettext_lazy("涉及申请"),
    "salesperson_id": gettext_lazy("销售顾问"),
    "applications_today": gettext_lazy("当日进件"),
    "max_per_day": gettext_lazy("每日上限"),
    "documents": gettext_lazy("资料指纹"),
    "distance": gettext_lazy("图像指纹差异（位）"),
}


def _money(value) -> str:
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _value(key: str, value, group: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("有") if value else _("无")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{EVIDENCE_LABELS.get(k, k)}：{_value(k, v)}" for k, v in value.items())
    if (group or key, value) in VALUE_LABELS:
        return str(VALUE_LABELS[(group or key, value)])
    if key in MONEY_KEYS:
        return _money(value)
    if key in PERCENT_KEYS:
        return f"{Decimal(str(value)) * 100:.0f}%"
    if key in DAY_KEYS:
        return _("%(n)s 天") % {"n": value}
    return str(value)


def _row(label, value: str, flag: bool = False) -> dict:
    return {"label": str(label), "value": value, "flag": flag}


def bureau_rows(bureau: dict) -> list[dict]:
    if not bureau:
        return []
    if not bureau.get("found"):
        return [_row(BUREAU_LABELS["found"], _("查无记录（征信白户）"), True)]
    flags = {
        "max_dpd_24m": (bureau.get("max_dpd_24m") or 0) > 0,
        "court_enforcement": bool(bureau.get("court_enforcement")),
        "dishonest_debtor": bool(bureau.get("dishonest_debtor")),
        "inquiries_6m": (bureau.get("inquiries_6m") or 0) >= 6,
    }
    return [
        _row(label, _value(key, bureau.get(key)), flags.get(key, False))
        for key, label in BUREAU_LABELS.items()
        if key != "found" and key in bureau
    ]


def verification_rows(details: dict) -> list[dict]:
    rows = []
    result = (details.get("verification") or {}).get("result")
    if result:
        rows.append(
            _row(
                _("身份三要素（姓名、身份证号、手机号）"),
                _value("result", result, "verification"),
                result != "match",
            )
        )
    phone = details.get("phone") or {}
    if phone.get("status"):
        rows.append(
            _row(
                _("手机号状态"),
                _value("status", phone["status"], "phone"),
                phone["status"] != "active",
            )
        )
        rows.append(_row(_("在网时长"), _("%(n)s 个月") % {"n": phone.get("tenure_months") or 0}))
    for source, answer in (details.get("income") or {}).items():
        status = (answer or {}).get("status")
        label = INCOME_SOURCE_LABELS.get(source, source)
        value = _value("status", status, "income")
        if status == "below" and answer.get("monthly_income"):
            value = _("%(status)s（月收入 %(income)s）") % {
                "status": value,
                "income": _money(answer["monthly_income"]),
            }
        rows.append(_row(label, value, status != "matched"))
    valuation = details.get("valuation") or {}
    if "guide_price" in valuation:
        rows.append(_row(_("车辆估值"), _value("guide_price", valuation.get("guide_price"))))
        rows.append(_row(_("估值依据"), _value("basis", valuation.get("basis"))))
    return rows


# the fraud checks name themselves FRAUD_<what>; their rule codes are F0n_<what>
FRAUD_CHECK_CODES = {c.split("_", 1)[1]: c for c in CODE_LABELS if c.startswith("F0")}


def code_label(code: str) -> str:
    if code.startswith("FRAUD_"):
        code = FRAUD_CHECK_CODES.get(code.removeprefix("FRAUD_"), code)
    return str(CODE_LABELS.get(code, code))


def fraud_rows(details: dict) -> list[dict]:
    rows = [
        _row(code_label(h["check_code"]), _value("evidence", h.get("evidence") or {}), True)
        for h in details.get("fraud_hits") or []
    ]
    if details.get("blacklist"):
        rows.append(_row(_("黑名单命中"), _value("blacklist", details["blacklist"]), True))
    return rows


def _dti_note(evidence: dict) -> str:
    """The debt-to-income figures behind A03, in words ('' when the reason has none)."""
    if evidence.get("debt_to_income") is None or evidence.get("max_dti") is None:
        return ""
    return _("负债收入比 %(dti)s，上限 %(cap)s，征信月还款 %(debt)s") % {
        "dti": f"{Decimal(str(evidence['debt_to_income'])) * 100:.1f}%",
        "cap": f"{Decimal(str(evidence['max_dti'])) * 100:.1f}%",
        "debt": _money(evidence.get("monthly_debt_payments") or 0),
    }


def _income_note(evidence: dict) -> str:
    """The two incomes behind V01, in words."""
    return _("申报月收入 %(declared)s，核实月收入 %(verified)s") % {
        "declared": _money(evidence.get("declared_monthly_income")),
        "verified": _money(evidence.get("verified_monthly_income")),
    }


NOTES = {"A03_DEBT_TO_INCOME": _dti_note, "V01_INCOME_VERIFIED_LOWER": _income_note}


def rule_rows(details: dict) -> list[dict]:
    rows = []
    for r in details.get("reasons") or []:
        value = str(KIND_LABELS.get(r["kind"], r["kind"]))
        note = NOTES[r["code"]](r.get("evidence") or {}) if r["code"] in NOTES else ""
        flag = r["kind"] in ("decline", "refer")
        if note:  # the brackets are the reader's language's: full-width only in Chinese
            value = _("%(kind)s（%(status)s）") % {"kind": value, "status": note}
        rows.append(_row(code_label(r["code"]), value, flag))
        rows[-1]["code"] = r["code"]
    return rows


def decision_findings(details: dict) -> list[dict]:
    """The four groups the case page shows, each {key, title, rows}; a row is {label, value,
    flag} in plain words."""
    return [
        {"key": "bureau", "title": _("征信"), "rows": bureau_rows(details.get("bureau") or {})},
        {"key": "verification", "title": _("核验"), "rows": verification_rows(details)},
        {"key": "fraud", "title": _("反欺诈"), "rows": fraud_rows(details)},
        {"key": "rules", "title": _("规则命中"), "rows": rule_rows(details)},
    ]
