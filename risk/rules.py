"""Decision rules: registered Python predicates over the facts and the gathered inputs.

A predicate takes ``(ctx, params)`` and returns ``None`` (no hit) or a dict of evidence (hit).
Its parameters, kind (decline / refer), reason code, customer explanation and on/off switch are
rows of a ``RuleSet`` version in the database (editable in the admin); the code name links the
row to the predicate here. Predicates are pure: everything they read is in ``ctx`` (anti-fraud
checks run before, against the store of facts seen, and put their results in
``ctx.inputs["fraud"]``), so a stored decision can be replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from risk.facts import dec, income_verified_below, section


@dataclass(frozen=True)
class RuleContext:
    facts: dict
    inputs: dict

    def part(self, name: str) -> dict:
        return section(self.facts, name)


Predicate = Callable[[RuleContext, dict], "dict | None"]
RULES: dict[str, Predicate] = {}


def rule(code: str):
    def register(fn: Predicate) -> Predicate:
        RULES[code] = fn
        return fn

    return register


@rule("AGE_RANGE")
def _age_range(ctx: RuleContext, params: dict) -> dict | None:
    applicant = ctx.part("applicant")
    age = applicant.get("age")
    at_maturity = applicant.get("age_at_maturity")
    lo, hi = int(params.get("min_age", 18)), int(params.get("max_age_at_maturity", 65))
    if age is not None and int(age) < lo:
        return {"age": age, "min_age": lo}
    if at_maturity is not None and int(at_maturity) > hi:
        return {"age_at_maturity": at_maturity, "max_age_at_maturity": hi}
    return None


@rule("BLACKLIST")
def _blacklist(ctx: RuleContext, params: dict) -> dict | None:
    hits = ctx.inputs.get("blacklist") or []
    return {"kinds": hits} if hits else None


@rule("ID_MISMATCH")
def _id_mismatch(ctx: RuleContext, params: dict) -> dict | None:
    result = (ctx.inputs.get("verification") or {}).get("result")
    return {"result": result} if result != "match" else None


@rule("LTV_CAP")
def _ltv_cap(ctx: RuleContext, params: dict) -> dict | None:
    ltv = dec(ctx.part("deal").get("ltv"))
    cap = dec(params.get("ltv_cap"), dec(ctx.part("product_rules").get("ltv_cap")))
    if ltv is not None and cap is not None and ltv > cap:
        return {"ltv": str(ltv), "ltv_cap": str(cap)}
    return None


@rule("DEALER_SUSPENDED")
def _dealer_suspended(ctx: RuleContext, params: dict) -> dict | None:
    status = ctx.part("dealer").get("status")
    blocked = params.get("statuses", ["suspended", "terminated"])
    return {"status": status} if status in blocked else None


@rule("INCOME_UNVERIFIED")
def _income_unverified(ctx: RuleContext, params: dict) -> dict | None:
    """Income counts as verified when an authorised data source (social insurance and provident
    fund, income tax, bank statements — ``inputs["income"]``) bears the declared income out, or
    when the sources showing less say how much they show: the decision is then made on that
    lower, verified income (``risk.facts.income_for_decision``: affordability recomputed, so it
    approves, counter-offers or declines). A source showing less without its figure refers,
    whatever the documents say. Without a match, income is unverifiable when no income proof
    came with the application or the declared income is above what policy accepts on the
    strength of the document alone (`max_unmatched_monthly_income`)."""
    applicant = ctx.part("applicant")
    if applicant.get("income_verified"):
        return None
    sources = {k: (v or {}).get("status") for k, v in (ctx.inputs.get("income") or {}).items()}
    below = sorted(k for k, status in sources.items() if status == "below")
    if below:
        if income_verified_below(ctx.inputs) is not None:
            return None
        return {"income_verified": False, "income_sources_below": below}
    if "matched" in sources.values():
        return None
    proof = bool(applicant.get("income_proof_provided"))
    income = Decimal(str(applicant.get("income_monthly") or "0"))
    ceiling = Decimal(str(params.get("max_unmatched_monthly_income", "30000")))
    if proof and income <= ceiling:
        return None
    return {
        "income_verified": False,
        "income_proof_provided": proof,
        "income_monthly": str(income),
        "ceiling": str(ceiling),
    }


@rule("DEALER_GRADE")
def _dealer_grade(ctx: RuleContext, params: dict) -> dict | None:
    grade = ctx.part("dealer").get("grade")
    return {"grade": grade} if grade in params.get("grades", ["D"]) else None


def _above_guide(ctx: RuleContext, params: dict, price: Decimal | None) -> dict | None:
    """``price`` more than ``max_pct`` % above the valuation's guide price: the one test for
    the deal's price and the invoice's."""
    guide = dec((ctx.inputs.get("valuation") or {}).get("guide_price"))
    max_pct = Decimal(str(params.get("max_pct", 10)))
    if price is None or not guide:
        return None
    if price > guide * (1 + max_pct / 100):
        over = ((price / guide - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return {"price": str(price), "guide_price": str(guide), "over_pct": str(over)}
    return None


@rule("PRICE_ABOVE_GUIDE")
def _price_above_guide(ctx: RuleContext, params: dict) -> dict | None:
    return _above_guide(ctx, params, dec(ctx.part("deal").get("price")))


@rule("INVOICE_ABOVE_GUIDE")
def _invoice_above_guide(ctx: RuleContext, params: dict) -> dict | None:
    """The purchase invoice (as OCR read it) is priced well above the guide price."""
    return _above_guide(ctx, params, dec(ctx.part("documents_read").get("invoice_price")))


@rule("DOCUMENT_MISMATCH")
def _document_mismatch(ctx: RuleContext, params: dict) -> dict | None:
    """A document shows a name, ID number, address, VIN, price ... other than the
    application's."""
    fields = ctx.part("documents_read").get("mismatches") or []
    return {"fields": list(fields)} if fields else None


@rule("DOCUMENT_EXPIRED")
def _document_expired(ctx: RuleContext, params: dict) -> dict | None:
    """The ID card (or driving licence) is past its validity date."""
    kinds = ctx.part("documents_read").get("expired") or []
    return {"documents": list(kinds)} if kinds else None


@rule("DOCUMENT_EDITED")
def _document_edited(ctx: RuleContext, params: dict) -> dict | None:
    """A document image names an editing program (EXIF Software)."""
    kinds = ctx.part("documents_read").get("edited") or []
    return {"documents": list(kinds)} if kinds else None


@rule("CO_APPLICANT_MISSING")
def _co_applicant_missing(ctx: RuleContext, params: dict) -> dict | None:
    required = bool(ctx.part("product_rules").get("co_applicant_required"))
    above = dec(params.get("amount_above"))
    amount = dec(ctx.part("deal").get("amount_financed"))
    if above is not None and amount is not None and amount > above:
        required = True
    if required and not ctx.part("co_applicant").get("present"):
        return {"amount_financed": str(amount) if amount is not None else None}
    return None


@rule("PHONE_STATUS")
def _phone_status(ctx: RuleContext, params: dict) -> dict | None:
    phone = ctx.inputs.get("phone") or {}
    if not phone:
        return None
    min_tenure = int(params.get("min_tenure_months", 3))
    if phone.get("status") != "active" or int(phone.get("tenure_months") or 0) < min_tenure:
        return dict(phone)
    return None


@rule("COURT_ENFORCEMENT")
def _court_enforcement(ctx: RuleContext, params: dict) -> dict | None:
    """The bureau lists the applicant as subject to court enforcement (被执行人)."""
    bureau = ctx.inputs.get("bureau") or {}
    return {"court_enforcement": True} if bureau.get("court_enforcement") else None


@rule("DISHONEST_DEBTOR")
def _dishonest_debtor(ctx: RuleContext, params: dict) -> dict | None:
    """The bureau lists the applicant as a dishonest debtor (失信被执行人)."""
    bureau = ctx.inputs.get("bureau") or {}
    return {"dishonest_debtor": True} if bureau.get("dishonest_debtor") else None


def _fraud(code: str) -> Predicate:
    def check(ctx: RuleContext, params: dict) -> dict | None:
        return (ctx.inputs.get("fraud") or {}).get(code)

    return check


FRAUD_CHECKS = (
    "FRAUD_ID_MULTI_DEALER",
    "FRAUD_SHARED_PHONE",
    "FRAUD_SHARED_BANK_ACCOUNT",
    "FRAUD_VIN_REUSED",
    "FRAUD_SALES_VELOCITY",
    "FRAUD_DOCUMENT_REUSED",
    "FRAUD_DOCUMENT_NEAR_DUPLICATE",
)
for _code in FRAUD_CHECKS:
    RULES[_code] = _fraud(_code)


def rules_evaluate(ctx: RuleContext, rules: list[dict]) -> list[dict]:
    """Hits of the enabled rules, in order: [{code, kind, reason_code, explanation, evidence}]."""
    hits = []
    for r in rules:
        if not r.get("enabled", True):
            continue
        predicate = RULES.get(r["code"])
        if predicate is None:
            continue
        evidence = predicate(ctx, r.get("params") or {})
        if evidence is not None:
            hits.append(
                {
                    "code": r["reason_code"],
                    "rule": r["code"],
                    "kind": r["rule_kind"],
                    "explanation": r["explanation"],
                    "evidence": evidence,
                }
            )
    return hits


# The court's lists as the bureau reports them: hard rules (rule code, reason code). Also added
# to a database's rule set in force by migration risk 0003.
BUREAU_LIST_RULES = (
    ("COURT_ENFORCEMENT", "D06_COURT_ENFORCEMENT"),
    ("DISHONEST_DEBTOR", "D07_DISHONEST_DEBTOR"),
)

# What OCR of the documents brings (rule code, reason code, params, explanation): all refer.
# Also added to a database's rule set in force by migration risk 0005.
DOCUMENT_RULES: list[tuple[str, str, dict, Any]] = [
    ("DOCUMENT_MISMATCH", "R06_DOCUMENT_MISMATCH", {}, _("申请材料需要进一步核实")),
    ("DOCUMENT_EXPIRED", "R07_DOCUMENT_EXPIRED", {}, _("证件已过有效期，请提供有效证件")),
    ("DOCUMENT_EDITED", "R08_DOCUMENT_EDITED", {}, _("申请材料需要进一步核实")),
    (
        "INVOICE_ABOVE_GUIDE",
        "R09_INVOICE_ABOVE_GUIDE",
        {"max_pct": 10},
        _("车辆成交价高于指导价较多，需要人工审核"),
    ),
    (
        "FRAUD_DOCUMENT_NEAR_DUPLICATE",
        "F07_DOCUMENT_NEAR_DUPLICATE",
        {"max_distance": 8},
        _("申请材料需要进一步核实"),
    ),
]

# The default rule set (seeded as version 1): (code, kind, reason code, params, explanation).
DEFAULT_RULES: list[tuple[str, str, str, dict, Any]] = [
    (
        "AGE_RANGE",
        "decline",
        "D01_AGE",
        {"min_age": 18, "max_age_at_maturity": 65},
        _("申请人年龄不符合要求：申请时须年满18周岁，贷款到期时不超过65周岁"),
    ),
    ("BLACKLIST", "decline", "D02_BLACKLIST", {}, _("申请人信息命中风险名单")),
    (
        "ID_MISMATCH",
        "decline",
        "D03_ID_MISMATCH",
        {},
        _("身份核验未通过：姓名、身份证号与手机号不一致"),
    ),
    ("LTV_CAP", "decline", "D04_LTV_CAP", {}, _("贷款金额占车价比例超过产品上限")),
    (
        "DEALER_SUSPENDED",
        "decline",
        "D05_DEALER_SUSPENDED",
        {},
        _("该经销商目前暂停合作，暂无法受理申请"),
    ),
    (
        "INCOME_UNVERIFIED",
        "refer",
        "R01_INCOME_UNVERIFIED",
        {"max_unmatched_monthly_income": "30000"},
        _("收入暂无法核实，需要人工审核"),
    ),
    (
        "DEALER_GRADE",
        "refer",
        "R02_DEALER_GRADE",
        {"grades": ["D"]},
        _("经销商渠道评级需要人工审核"),
    ),
    (
        "PRICE_ABOVE_GUIDE",
        "refer",
        "R03_PRICE_ABOVE_GUIDE",
        {"max_pct": 10},
        _("车辆成交价高于指导价较多，需要人工审核"),
    ),
    (
        "CO_APPLICANT_MISSING",
        "refer",
        "R04_CO_APPLICANT_MISSING",
        {"amount_above": "300000"},
        _("该贷款需要共同借款人，请补充共借人信息"),
    ),
    (
        "PHONE_STATUS",
        "refer",
        "R05_PHONE_STATUS",
        {"min_tenure_months": 3},
        _("手机号状态或在网时长需要人工核实"),
    ),
    (
        "FRAUD_ID_MULTI_DEALER",
        "refer",
        "F01_ID_MULTI_DEALER",
        {"days": 30},
        _("申请信息需要进一步核实"),
    ),
    (
        "FRAUD_SHARED_PHONE",
        "refer",
        "F02_SHARED_PHONE",
        {"min_applicants": 2},
        _("申请信息需要进一步核实"),
    ),
    (
        "FRAUD_SHARED_BANK_ACCOUNT",
        "refer",
        "F03_SHARED_BANK_ACCOUNT",
        {"min_applicants": 2},
        _("申请信息需要进一步核实"),
    ),
    ("FRAUD_VIN_REUSED", "refer", "F04_VIN_REUSED", {}, _("车辆信息需要进一步核实")),
    (
        "FRAUD_SALES_VELOCITY",
        "refer",
        "F05_SALES_VELOCITY",
        {"max_per_day": 10},
        _("申请信息需要进一步核实"),
    ),
    ("FRAUD_DOCUMENT_REUSED", "refer", "F06_DOCUMENT_REUSED", {}, _("申请材料需要进一步核实")),
    *[
        # The same words for both lists: the customer is not told which court list named them.
        (code, "decline", reason, {}, _("申请人信用记录不符合要求"))
        for code, reason in BUREAU_LIST_RULES
    ],
    *[
        (code, "refer", reason, params, explanation)
        for code, reason, params, explanation in DOCUMENT_RULES
    ],
]

# Reasons the engine itself gives (not rules): code -> (kind, explanation).
ENGINE_REASONS: dict[str, tuple[str, Any]] = {
    "S01_SCORE_LOW": ("decline", _("综合信用评分未达到要求")),
    "S02_SCORE_REVIEW": ("refer", _("综合信用评分需要人工审核")),
    "N01_NO_SCORECARD": ("refer", _("暂无适用的评分模型，需要人工审核")),
    "A01_AFFORDABILITY": ("decline", _("月供超过收入可承受范围，且无可行的调整方案")),
    "A02_PRODUCT_TERMS": ("decline", _("申请条件不符合产品要求，且无可行的调整方案")),
    "A03_DEBT_TO_INCOME": ("decline", _("还款能力评估未通过，且无可行的调整方案")),
    "C01_COUNTER_OFFER": ("counter_offer", _("根据您的收入情况，我们建议调整贷款方案")),
    # beside the outcome's own reasons: income sources showed less than declared, and the
    # decision (approve, counter-offer or decline) was made on the income they verified
    "V01_INCOME_VERIFIED_LOWER": ("note", _("已按核实的收入评估您的申请")),
    # an existing customer's pre-approved offer (risk.services.preapproval)
    "P01_PREAPPROVED": ("approve", _("预审批额度内申请，还款记录良好")),
    "P02_PREAPPROVAL_CHANGED": ("refer", _("预审批条件已变化，需要人工审核")),
}

CONDITIONS: dict[str, Any] = {
    "GPS_REQUIRED": _("需安装GPS定位设备"),
    "MORTGAGE_REGISTRATION": _("需办理车辆抵押登记"),
}
