"""What risk found, for the underwriter: the bureau report, the verifications, the anti-fraud
hits and the rule hits, grouped and in plain words. The one label table for these keys and
codes lives here; pages never show a raw key, code value or dict."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

L = gettext_lazy

BUREAU_LABELS = {
    "found": L("征信报告"),
    "bureau_score": L("征信评分"),
    "inquiries_6m": L("近6个月查询次数"),
    "max_dpd_24m": L("近24个月最长逾期天数"),
    "cc_utilisation": L("信用卡使用率"),
    "monthly_debt_payments": L("每月已有负债还款"),
    "total_debt": L("负债总额"),
    "court_enforcement": L("法院被执行记录"),
    "dishonest_debtor": L("失信被执行人"),
}
MONEY_KEYS = {"monthly_debt_payments", "total_debt", "guide_price"}
PERCENT_KEYS = {"cc_utilisation"}
DAY_KEYS = {"max_dpd_24m"}
COUNT_KEYS = {"inquiries_6m", "applications_today", "max_per_day"}

VALUE_LABELS = {
    ("verification", "match"): L("一致"),
    ("verification", "mismatch"): L("不一致"),
    ("phone", "active"): L("正常在用"),
    ("phone", "deactivated"): L("已停机"),
    ("phone", "owner_changed"): L("已过户"),
    ("basis", "msrp"): L("厂商指导价"),
    ("basis", "used_valuation"): L("二手车估值"),
    ("basis", "deal_price"): L("按成交价"),
    ("basis", "none"): L("无估值"),
    ("income", "matched"): L("与申报收入相符"),
    ("income", "below"): L("低于申报收入"),
    ("income", "not_found"): L("查无记录"),
}
INCOME_SOURCE_LABELS = {
    "income_social": L("收入核验：社保及公积金"),
    "income_tax": L("收入核验：个人所得税"),
    "income_bank": L("收入核验：银行流水及代发工资"),
}

# rule and fraud codes as the underwriter reads them (the customer-facing texts stay vague)
CODE_LABELS = {
    "D01_AGE": L("申请人年龄不符合要求"),
    "D02_BLACKLIST": L("命中内部黑名单"),
    "D03_ID_MISMATCH": L("身份三要素核验不一致"),
    "D04_LTV_CAP": L("贷款价值比超过产品上限"),
    "D05_DEALER_SUSPENDED": L("经销商已暂停合作"),
    "D06_COURT_ENFORCEMENT": L("征信显示法院被执行记录（被执行人）"),
    "D07_DISHONEST_DEBTOR": L("征信显示列入失信被执行人名单"),
    "R01_INCOME_UNVERIFIED": L("收入无法核实"),
    "R02_DEALER_GRADE": L("经销商渠道评级偏低"),
    "R03_PRICE_ABOVE_GUIDE": L("成交价高于指导价"),
    "R04_CO_APPLICANT_MISSING": L("缺少共同借款人"),
    "R05_PHONE_STATUS": L("手机号状态异常或在网时间短"),
    "R06_DOCUMENT_MISMATCH": L("证件识别结果与申请信息不一致"),
    "R07_DOCUMENT_EXPIRED": L("证件已过有效期"),
    "R08_DOCUMENT_EDITED": L("资料图片有编辑软件处理痕迹"),
    "R09_INVOICE_ABOVE_GUIDE": L("购车发票价格高于指导价"),
    "F01_ID_MULTI_DEALER": L("同一身份证近期在多家经销商申请"),
    "F02_SHARED_PHONE": L("多名申请人共用同一手机号"),
    "F03_SHARED_BANK_ACCOUNT": L("多名申请人共用同一银行账户"),
    "F04_VIN_REUSED": L("同一车架号已用于其他申请"),
    "F05_SALES_VELOCITY": L("销售顾问当日进件量异常"),
    "F06_DOCUMENT_REUSED": L("同一份资料已用于其他申请"),
    "F07_DOCUMENT_NEAR_DUPLICATE": L("相似的资料图片已用于其他申请"),
    "S01_SCORE_LOW": L("综合评分低于拒绝线"),
    "S02_SCORE_REVIEW": L("综合评分落在人工审核区间"),
    "N01_NO_SCORECARD": L("无适用评分模型"),
    "A01_AFFORDABILITY": L("月供超出收入承受能力"),
    "A02_PRODUCT_TERMS": L("申请条件不符合产品要求"),
    "A03_DEBT_TO_INCOME": L("负债收入比超过上限（征信月还款加本次月供）"),
    "C01_COUNTER_OFFER": L("建议调整方案"),
    "V01_INCOME_VERIFIED_LOWER": L("核实收入低于申报收入，已按核实收入决策"),
}
KIND_LABELS = {
    "decline": L("拒绝"),
    "refer": L("转人工"),
    "counter_offer": L("调整方案"),
    "approve": L("通过"),
    "note": L("说明"),
}
EVIDENCE_LABELS = {
    "days": L("天数"),
    "kinds": L("类型"),
    "other_dealers": L("其他经销商"),
    "applicants": L("涉及申请人"),
    "applications": L("涉及申请"),
    "salesperson_id": L("销售顾问"),
    "applications_today": L("当日进件"),
    "max_per_day": L("每日上限"),
    "documents": L("资料指纹"),
    "distance": L("图像指纹差异（位）"),
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
        rows.append(_row(code_label(r["code"]), f"{value}（{note}）" if note else value, flag))
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
