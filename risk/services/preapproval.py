"""Pre-approval of offers to existing customers (预审批): may this customer be offered a product
of this kind, and with what limit, rate and longest term?

Risk decides from the facts servicing hands it — the customer's own history with the lender (the
columns of their nightly customer-facts row and the figures of their loans) — and reads no other
app. Every threshold is a dated policy value (`risk.preapproval.*`, owned by the risk analyst),
read for the business date decided; the decision stores the facts, the thresholds it read and
the rule version, so `preapproval_replay` gives the same answer from the stored decision alone.

Each criterion is one row of `CRITERIA`, and both the per-customer check and the nightly
prefilter's SQL (`preapproval_prefilter_sql`) are generated from that row (decision 0009): the
batch cannot drift from the decision.

Only the licensed purposes (vehicles and their add-ons) can be offered: the next car, an upgrade,
maintenance credit and an insurance renewal. A cash-out top-up is not a kind at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext_lazy as _

from autofin.policy import policy_value

PREAPPROVAL_VERSION = "preapproval-1"

# The licensed purposes, and the policy key stem of each (their rate, term and limit).
LICENSED_KINDS = ("next_car", "upgrade", "maintenance", "insurance_renewal")
# The car offers carry an indicative rate of their own (policy); the others are priced by their
# product's rate table at the tier a pre-approved customer is priced at.
VEHICLE_KINDS = ("next_car", "upgrade")
PREAPPROVED_TIER = "A"
# what an application taking an offer up must finance (its product's purpose)
PURPOSE_OF_KIND = {"next_car": "vehicle", "upgrade": "vehicle", "maintenance": "maintenance",
                   "insurance_renewal": "insurance_renewal"}  # fmt: skip
# the kinds whose limit is the amount asked for (a renewal premium as its insurer quoted it),
# within the kind's cap: they are offered for one bill, not a line of credit
REQUESTED_LIMIT_KINDS = ("insurance_renewal",)


class PreapprovalError(ValueError):
    """Asked to pre-approve something that is not a licensed purpose."""


@dataclass(frozen=True)
class Criterion:
    code: str
    fact: str  # a customer-facts column (servicing_customerfact) of the same name
    op: str  # ">=" or "<="
    threshold: str  # the policy key, or a literal "1" for a structural requirement
    kinds: tuple[str, ...]
    reason: object  # the reviewer's explanation when it fails
    missing_as: int = 0  # the value a NULL fact counts as (months_to_maturity of a closed book)


_ALL = LICENSED_KINDS
_ON_BOOK = ("upgrade", "maintenance", "insurance_renewal")  # these need a car financed with us now

CRITERIA: tuple[Criterion, ...] = (
    Criterion("NO_ARREARS", "current_dpd", "<=", "risk.preapproval.max_current_dpd", _ALL,
              _("当前存在逾期")),
    Criterion("CLEAN_HISTORY", "max_dpd_ever", "<=", "risk.preapproval.max_dpd_ever", _ALL,
              _("历史最长逾期天数超过预审批上限")),
    Criterion("SEASONED", "instalments_paid", ">=", "risk.preapproval.min_instalments_paid", _ALL,
              _("已还期数不足")),
    Criterion("ON_BOOK", "loans_active", ">=", "1", _ON_BOOK, _("当前无在贷车辆")),
    Criterion("NEAR_MATURITY", "months_to_maturity", "<=",
              "risk.preapproval.next_car_within_months", ("next_car",),
              _("距现有贷款到期时间过长"), missing_as=0),
)  # fmt: skip


def _threshold(criterion: Criterion, on: dt.date) -> int:
    if criterion.threshold.startswith("risk."):
        return int(policy_value(criterion.threshold, on=on))
    return int(criterion.threshold)


def thresholds_read(*, kind: str, on: dt.date) -> dict:
    """Every policy value the decision of `kind` on `on` reads (stored with it for replay)."""
    if kind not in LICENSED_KINDS:
        raise PreapprovalError(f"not a licensed purpose: {kind!r}")
    values = {c.code: _threshold(c, on) for c in CRITERIA if kind in c.kinds}
    parts = (
        ("rate", "max_term", "limit_cap") if kind in VEHICLE_KINDS else ("max_term", "limit_cap")
    )
    for part in parts:
        values[part] = str(policy_value(f"risk.preapproval.{kind}.{part}", on=on))
    if kind in VEHICLE_KINDS:
        values["limit_ratio"] = str(policy_value("risk.preapproval.vehicle_limit_ratio", on=on))
    return values


def _holds(value: int, op: str, threshold: int) -> bool:
    return value >= threshold if op == ">=" else value <= threshold


def _decide(*, kind: str, facts: dict, thresholds: dict) -> dict:
    reasons = []
    for c in CRITERIA:
        if kind not in c.kinds:
            continue
        raw = facts.get(c.fact)
        value = c.missing_as if raw is None else int(raw)
        if not _holds(value, c.op, thresholds[c.code]):
            reasons.append({"code": c.code, "fact": c.fact, "value": value,
                            "threshold": thresholds[c.code], "text": str(c.reason)})  # fmt: skip
    cap = Decimal(thresholds["limit_cap"])
    limit = cap
    if "limit_ratio" in thresholds:
        # the next car is financed up to a share of the largest car we financed them before
        basis = Decimal(str(facts.get("largest_amount_financed") or "0"))
        scaled = (basis * Decimal(thresholds["limit_ratio"])).quantize(
            Decimal("100"), rounding=ROUND_DOWN
        )
        limit = min(cap, scaled)
    if kind in REQUESTED_LIMIT_KINDS:
        limit = min(cap, Decimal(str(facts.get("requested_limit") or "0")))
    if limit <= 0 and not reasons:
        reasons.append({"code": "NO_LIMIT", "fact": "largest_amount_financed",
                        "value": str(facts.get("largest_amount_financed")),
                        "threshold": "0", "text": str(_("无可用额度"))})  # fmt: skip
    return {
        "approved": not reasons,
        "kind": kind,
        "version": PREAPPROVAL_VERSION,
        "limit_amount": str(limit.quantize(Decimal("0.01"), rounding=ROUND_DOWN)),
        "annual_rate": thresholds.get("rate"),
        "tier": PREAPPROVED_TIER,
        "max_term_months": int(Decimal(thresholds["max_term"])),
        "reasons": reasons,
        "facts": {k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in facts.items()},
        "thresholds": thresholds,
    }


def preapproval_decide(
    *, kind: str, facts: dict, on: dt.date, requested_limit: Decimal | None = None
) -> dict:
    """The decision (a JSON-able dict) for offering `kind` to the customer whose `facts` these
    are, with the policy values in force on business date `on`. `approved` False carries the
    failed criteria in `reasons`; the limit, rate and term are the offer's terms.
    `requested_limit`: the amount asked for, a REQUESTED_LIMIT_KINDS kind's limit (stored
    with the facts, so the decision replays)."""
    if requested_limit is not None:
        facts = {**facts, "requested_limit": str(requested_limit)}
    return _decide(kind=kind, facts=facts, thresholds=thresholds_read(kind=kind, on=on))


def preapproval_decide_many(*, kind: str, facts: list[dict], on: dt.date) -> list[dict]:
    """`preapproval_decide` for many customers' facts (in order) on one date: the policy values
    are read once, not once a customer (the nightly batch decides thousands)."""
    thresholds = thresholds_read(kind=kind, on=on)
    return [_decide(kind=kind, facts=f, thresholds=dict(thresholds)) for f in facts]


def preapproval_replay(decision: dict) -> dict:
    """The same decision again from what it stored (its facts and thresholds), for audit."""
    if decision.get("version") != PREAPPROVAL_VERSION:
        raise PreapprovalError(f"cannot replay version {decision.get('version')!r}")
    return _decide(kind=decision["kind"], facts=decision["facts"],
                   thresholds=decision["thresholds"])  # fmt: skip


def preapproval_prefilter_sql(*, kind: str, on: dt.date, alias: str = "f") -> tuple[str, dict]:
    """The criteria of `kind` as one SQL condition over the customer-facts table (`alias`), for
    the nightly batch to pick candidates set-based; generated from `CRITERIA`, so a candidate
    the SQL keeps is one the criteria would not refuse for these facts. Built from constants
    only; the thresholds are bound parameters."""
    thresholds = thresholds_read(kind=kind, on=on)
    parts, params = [], {}
    for c in CRITERIA:
        if kind not in c.kinds:
            continue
        name = f"pre_{c.code.lower()}"
        parts.append(f"coalesce({alias}.{c.fact}, {c.missing_as}) {c.op} %({name})s")
        params[name] = thresholds[c.code]
    return " AND ".join(parts) or "TRUE", params


def preapproval_recheck(*, preapproval: dict, deal: dict, on: dt.date) -> dict:
    """Does an offer still hold for the application taking it up? The stored decision must
    replay as approved, the customer's facts now must still pass with the policy in force on
    `on`, and the deal must be for the offer's purpose within the smaller of both limits and
    terms. {"holds": bool, "problems": [codes], "now": the decision on today's facts}. The
    decision engine stores the answer with its inputs (replayable)."""
    offered = preapproval.get("decision") or {}
    kind = offered.get("kind")
    if kind not in LICENSED_KINDS:
        return {"holds": False, "problems": ["not_licensed"], "now": {}}
    facts_now = dict(preapproval.get("facts_now") or {})
    if kind in REQUESTED_LIMIT_KINDS:  # the bill asked for is the same one today
        facts_now["requested_limit"] = (offered.get("facts") or {}).get("requested_limit")
    now = preapproval_decide(kind=kind, facts=facts_now, on=on)
    problems = []
    try:
        if not offered.get("approved") or preapproval_replay(offered) != offered:
            problems.append("offer_not_replayable")
    except (KeyError, PreapprovalError):
        problems.append("offer_not_replayable")
    if not now["approved"]:
        problems.append("history_changed")
    amount = Decimal(str(deal.get("amount_financed") or "0"))
    limit = min(Decimal(offered.get("limit_amount") or "0"), Decimal(now["limit_amount"]))
    if amount <= 0 or amount > limit:
        problems.append("amount_over_limit")
    term = int(deal.get("term_months") or 0)
    if term > min(int(offered.get("max_term_months") or 0), now["max_term_months"]):
        problems.append("term_over_maximum")
    if deal.get("purpose", "vehicle") != PURPOSE_OF_KIND[kind]:
        problems.append("purpose_differs")
    return {"holds": not problems, "problems": problems, "now": now}
