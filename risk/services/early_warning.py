"""In-loan early warning: configurable strong and weak signals over a loan's facts.

Facts (all optional; the caller — servicing's nightly batch — gathers them):
  phone_status ("active" / "deactivated" / "owner_changed"), court_enforcement (bool) with
  court_entries (the watch-list entry ids matched, each with its list type and the role matched),
  gps_offline_days (int), gps_outside_region (bool), new_bureau_debt (CNY amount),
  late_payments_6m (int), recent_repayments (list of CNY amounts, oldest first),
  dealer_grade, dealer_grade_previous;
  telematics (servicing.eod.steps.telematics): gps_offline_since (ISO date of the last position),
  gps_events (the recent tamper / geofence-exit / long-stay events: {"id", "kind", "place_kind"});
  outside feeds (LoanExternalFacts): phone_checked_on, bureau_deteriorated (bool),
  bureau_checked_on, ltv_current (ratio), valued_on.
A hit whose evidence carries a "key" (the fact's date or the latest event id) is stored once per
loan, rule and key: re-evaluating the same facts (a re-run, the next night) records nothing twice.
Each rule names its suggested actions (`EarlyWarningRule.actions`: action, owner role, days to
the due date); servicing opens them for the loan.
Risk level: "high" with any strong hit, "medium" with two or more weak hits, "low" with one,
"none" without hits.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

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
    if status not in ("deactivated", "owner_changed"):
        return None
    return _keyed({"phone_status": status}, facts.get("phone_checked_on"), status)


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
        since = facts.get("gps_offline_since")
        return _keyed({"gps_offline_days": days, "limit": limit}, since and f"offline:{since}")
    if facts.get("gps_outside_region"):
        return {"gps_outside_region": True}
    return None


@signal("GPS_ALERT")
def _gps_alert(facts: dict, params: dict) -> dict | None:
    kinds = set(params.get("kinds") or ("tamper", "geofence_exit", "long_stay"))
    events = [e for e in facts.get("gps_events") or [] if e.get("kind") in kinds]
    if not events:
        return None
    return {"events": events, "key": f"event:{max(int(e['id']) for e in events)}"}


@signal("BUREAU_DETERIORATED")
def _bureau_worse(facts: dict, params: dict) -> dict | None:
    if not facts.get("bureau_deteriorated"):
        return None
    return _keyed({"bureau_deteriorated": True}, facts.get("bureau_checked_on"))


@signal("LTV_HIGH")
def _ltv(facts: dict, params: dict) -> dict | None:
    ltv, limit = dec(facts.get("ltv_current")), dec(params.get("ltv", "1.00"))
    if not ltv or ltv <= limit:
        return None
    return _keyed({"ltv_current": str(ltv), "limit": str(limit)}, facts.get("valued_on"))


def _keyed(evidence: dict, *parts) -> dict:
    """The evidence with its dedup key, when the fact carries its date (else none: every
    evaluation records)."""
    if parts and parts[0]:
        evidence["key"] = ":".join(str(p) for p in parts if p)
    return evidence


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


def _act(action: str, owner: str, days: int) -> dict:
    return {"action": action, "owner": owner, "days": days}


AGENT, COLLECTOR, RISK = "servicing_agent", "collector", "risk_analyst"
FREEZE = _act("freeze_top_up", AGENT, 1)
# (code, strength, params, description, suggested actions: action, owner role, days to due)
DEFAULT_EARLY_WARNING_RULES = [
    ("PHONE_DEACTIVATED", "strong", {}, "手机号停机或过户",
     [_act("call", AGENT, 2), _act("visit", COLLECTOR, 7), FREEZE]),
    ("COURT_ENFORCEMENT", "strong", {}, "被列入法院被执行人名单",
     [FREEZE, _act("gps_check", AGENT, 2), _act("early_collection", COLLECTOR, 3)]),
    ("GPS_OFFLINE", "strong", {"days": 7}, "GPS 离线超过规定天数或车辆驶出区域",
     [_act("gps_check", AGENT, 1), _act("call", AGENT, 2), _act("visit", COLLECTOR, 5)]),
    ("GPS_ALERT", "strong", {}, "GPS 设备被拆除、车辆驶出围栏或在敏感地点长时间停留",
     [_act("gps_check", AGENT, 1), _act("visit", COLLECTOR, 3), FREEZE]),
    ("BUREAU_NEW_DEBT", "strong", {"amount": "50000"}, "征信新增大额负债",
     [_act("call", AGENT, 3), FREEZE]),
    ("BUREAU_DETERIORATED", "strong", {}, "贷后征信复查显示信用恶化",
     [_act("call", AGENT, 3), FREEZE, _act("early_collection", COLLECTOR, 7)]),
    ("LTV_HIGH", "weak", {"ltv": "1.00"}, "车辆重估后贷款价值比超过阈值",
     [FREEZE, _act("call", AGENT, 7)]),
    ("LATE_REPEATED", "weak", {"count": 2}, "近6个月多次逾期",
     [_act("call", AGENT, 3), _act("early_collection", COLLECTOR, 7)]),
    ("REPAYMENT_FALLING", "weak", {"months": 3}, "还款金额连续下降", [_act("call", AGENT, 5)]),
    ("DEALER_GRADE_DROP", "weak", {}, "经销商评级下降", [_act("call", RISK, 10)]),
]  # fmt: skip


class EarlyWarningHits(list):
    """The hits of one evaluation, with the resulting ``level``."""

    level: str = "none"


def early_warning_rules_ensure() -> None:
    """The default rules that are missing are created (those there are kept as configured)."""
    for code, strength, params, text, actions in DEFAULT_EARLY_WARNING_RULES:
        EarlyWarningRule.objects.get_or_create(
            code=code,
            defaults={
                "strength": strength, "params": params, "description": text, "actions": actions
            },
        )  # fmt: skip


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
    if EarlyWarningRule.objects.count() < len(DEFAULT_EARLY_WARNING_RULES):
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
        results.append(hits)
    known = _known_keys(results)
    for hits in results:
        hits[:] = [h for h in hits if _key_of(h) not in known]
        hits.level = early_warning_level([h.strength for h in hits])
        found.extend(hits)
    if found:
        EarlyWarningHit.objects.bulk_create(found, batch_size=2000)
    return results


def _key_of(hit: EarlyWarningHit) -> tuple[str, str, str] | None:
    key = (hit.evidence or {}).get("key")
    return (hit.loan_ref, hit.rule_code, str(key)) if key else None


def _known_keys(results: list[EarlyWarningHits]) -> set[tuple[str, str, str]]:
    """The (loan, rule, key) of the keyed hits already stored among these hits' loans."""
    keyed = [k for hits in results for h in hits if (k := _key_of(h))]
    if not keyed:
        return set()
    return set(
        EarlyWarningHit.objects.filter(
            loan_ref__in={k[0] for k in keyed},
            rule_code__in={k[1] for k in keyed},
            evidence__key__in=list({k[2] for k in keyed}),
        ).values_list("loan_ref", "rule_code", "evidence__key")
    )


def early_warning_rule_actions(codes) -> dict[str, list[dict]]:
    """{rule code: its suggested actions} for the given rule codes."""
    return dict(EarlyWarningRule.objects.filter(code__in=set(codes)).values_list("code", "actions"))


def ltv_warning_limit() -> Decimal | None:
    """The current LTV above which the LTV_HIGH rule hits (None: the rule is disabled) — the
    one threshold the revaluation's count and the early-warning step both read."""
    rule = EarlyWarningRule.objects.filter(code="LTV_HIGH").first()
    if rule is not None and not rule.enabled:
        return None
    return Decimal(str(((rule.params if rule else None) or {}).get("ltv", "1.00")))
