"""In-loan early warning: configurable strong and weak signals over a loan's facts.

Facts (all optional; the caller — servicing's nightly batch — gathers them):
  phone_status ("active" / "deactivated" / "owner_changed"), court_enforcement (bool) with
  court_entries (the watch-list entry ids matched, each with its list type and the role matched),
  gps_offline_days (int), gps_outside_region (bool), new_bureau_debt (CNY amount),
  late_payments_6m (int), recent_repayments (list of CNY amounts, oldest first),
  dealer_grade, dealer_grade_previous.
Risk level: "high" with any strong hit, "medium" with two or more weak hits, "low" with one,
"none" without hits.
"""

from __future__ import annotations

from collections.abc import Callable

from risk.facts import dec
from risk.models import EarlyWarningHit, EarlyWarningRule

SIGNALS: dict[str, Callable[[dict, dict], dict | None]] = {}


def signal(code: str):
    def register(fn):
        SIGNALS[code] = fn
        return fn

    return register


@signal("PHONE_DEACTIVATED")
def _phone(facts: dict, params: dict) -> dict | None:
    status = facts.get("phone_status")
    return {"phone_status": status} if status in ("deactivated", "owner_changed") else None


@signal("COURT_ENFORCEMENT")
def _court(facts: dict, params: dict) -> dict | None:
    if not facts.get("court_enforcement"):
        return None
    # the list entries matched (servicing's court-list step), so a reload raises nothing twice
    return {
        "court_enforcement": True,
        **({"entries": facts["court_entries"]} if facts.get("court_entries") else {}),
    }


@signal("GPS_OFFLINE")
def _gps(facts: dict, params: dict) -> dict | None:
    days = int(facts.get("gps_offline_days") or 0)
    limit = int(params.get("days", 7))
    if days > limit:
        return {"gps_offline_days": days, "limit": limit}
    if facts.get("gps_outside_region"):
        return {"gps_outside_region": True}
    return None


@signal("BUREAU_NEW_DEBT")
def _new_debt(facts: dict, params: dict) -> dict | None:
    amount = dec(facts.get("new_bureau_debt"))
    limit = dec(params.get("amount", "50000"))
    return (
        {"new_bureau_debt": str(amount), "limit": str(limit)} if amount and amount > limit else None
    )


@signal("LATE_REPEATED")
def _late(facts: dict, params: dict) -> dict | None:
    late = int(facts.get("late_payments_6m") or 0)
    limit = int(params.get("count", 2))
    return {"late_payments_6m": late} if late >= limit else None


@signal("REPAYMENT_FALLING")
def _falling(facts: dict, params: dict) -> dict | None:
    amounts = [dec(a) for a in facts.get("recent_repayments") or []]
    n = int(params.get("months", 3))
    if len(amounts) < n:
        return None
    last = amounts[-n:]
    if all(b < a for a, b in zip(last, last[1:], strict=False)):
        return {"recent_repayments": [str(a) for a in last]}
    return None


@signal("DEALER_GRADE_DROP")
def _grade(facts: dict, params: dict) -> dict | None:
    now, before = facts.get("dealer_grade"), facts.get("dealer_grade_previous")
    if now and before and now > before:  # "A" < "B" < ... : a later letter is a worse grade
        return {"from": before, "to": now}
    return None


DEFAULT_EARLY_WARNING_RULES = [
    ("PHONE_DEACTIVATED", "strong", {}, "手机号停机或过户"),
    ("COURT_ENFORCEMENT", "strong", {}, "被列入法院被执行人名单"),
    ("GPS_OFFLINE", "strong", {"days": 7}, "GPS 离线超过规定天数或车辆驶出区域"),
    ("BUREAU_NEW_DEBT", "strong", {"amount": "50000"}, "征信新增大额负债"),
    ("LATE_REPEATED", "weak", {"count": 2}, "近6个月多次逾期"),
    ("REPAYMENT_FALLING", "weak", {"months": 3}, "还款金额连续下降"),
    ("DEALER_GRADE_DROP", "weak", {}, "经销商评级下降"),
]


class EarlyWarningHits(list):
    """The hits of one evaluation, with the resulting ``level``."""

    level: str = "none"


def early_warning_rules_ensure() -> None:
    for code, strength, params, text in DEFAULT_EARLY_WARNING_RULES:
        EarlyWarningRule.objects.get_or_create(
            code=code, defaults={"strength": strength, "params": params, "description": text}
        )


def early_warning_level(strengths: list[str]) -> str:
    if "strong" in strengths:
        return "high"
    weak = strengths.count("weak")
    return "medium" if weak >= 2 else ("low" if weak == 1 else "none")


def early_warning_evaluate(*, loan_ref: str, facts: dict) -> EarlyWarningHits:
    """Evaluate the enabled rules on one loan's facts; the hits are stored."""
    return early_warning_evaluate_many(items=[(loan_ref, facts)])[0]


def early_warning_evaluate_many(*, items: list[tuple[str, dict]]) -> list[EarlyWarningHits]:
    """Evaluate the enabled rules on many loans' facts ((loan_ref, facts) each): the rules read
    once, every hit stored in one INSERT. Returns the hits per item, in order."""
    if not EarlyWarningRule.objects.exists():
        early_warning_rules_ensure()
    rules = list(EarlyWarningRule.objects.filter(enabled=True).order_by("strength", "code"))
    results: list[EarlyWarningHits] = []
    found: list[EarlyWarningHit] = []
    for loan_ref, facts in items:
        hits = EarlyWarningHits()
        for rule in rules:
            fn = SIGNALS.get(rule.code)
            evidence = fn(facts, rule.params or {}) if fn else None
            if evidence is not None:
                hits.append(
                    EarlyWarningHit(
                        loan_ref=loan_ref,
                        rule_code=rule.code,
                        strength=rule.strength,
                        evidence=evidence,
                    )
                )
        hits.level = early_warning_level([h.strength for h in hits])
        found.extend(hits)
        results.append(hits)
    if found:
        EarlyWarningHit.objects.bulk_create(found, batch_size=2000)
    return results
