"""Channel risk grading (渠道评级 A–D) with explained inputs, and alerts to account managers."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.notifications import notification_send
from dealers.models.dealers import Dealer
from dealers.models.grading import DealerAlert, DealerGrade, GradingPolicy
from dealers.rules import DealerError, require_manages

SYSTEM = "dealers.grading"
HUNDRED = Decimal("100")
POINTS = Decimal("0.01")
GRADE_ORDER = "ABCD"

METRIC_LABELS = {
    "approval_rate": _("审批通过率"),
    "fraud_hit_rate": _("欺诈命中率"),
    "fpd_rate": _("首期逾期率"),
    "dpd30_rate": _("30天以上逾期率"),
    "document_rejection_rate": _("资料退回率"),
    "cancellation_after_funding_rate": _("放款后取消率"),
    "repurchase_rate": _("回购率"),
    "sold_out_of_trust": _("库存融资违规售车"),
}

# The defaults seeded as policy v1 (a migration and the demo seed use them).
DEFAULT_POLICY_METRICS = {
    "approval_rate": {"weight": 10, "good": "0.60", "bad": "0.20", "alert": "0.25"},
    "fraud_hit_rate": {"weight": 25, "good": "0", "bad": "0.05", "alert": "0.03"},
    "fpd_rate": {"weight": 20, "good": "0.01", "bad": "0.08", "alert": "0.05"},
    "dpd30_rate": {"weight": 25, "good": "0.01", "bad": "0.06", "alert": "0.04"},
    "document_rejection_rate": {"weight": 10, "good": "0.02", "bad": "0.20", "alert": "0.15"},
    "cancellation_after_funding_rate": {
        "weight": 10,
        "good": "0",
        "bad": "0.05",
        "alert": "0.03",
    },
    # loans bought back (回购) over loans funded in the last year, handed in by servicing
    "repurchase_rate": {"weight": 5, "good": "0", "bad": "0.02", "alert": "0.01"},
}
DEFAULT_CUTOFFS = {"A": 85, "B": 70, "C": 50}


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal | float):
        return str(value)
    return value


def grading_policy_active() -> GradingPolicy:
    policy = GradingPolicy.objects.filter(active=True).first()
    if policy is None and not GradingPolicy.objects.exists():
        # A fresh (or flushed) database: start from the defaults, as migration 0002 does.
        policy, _created = GradingPolicy.objects.get_or_create(
            version=1,
            defaults={
                "active": True,
                "metrics": DEFAULT_POLICY_METRICS,
                "cutoffs": DEFAULT_CUTOFFS,
                "note": "默认策略",
            },
        )
    if policy is None:
        raise DealerError(_("没有生效的渠道评级策略。"), code="no_policy")
    return policy


def derived_metrics(raw: dict) -> dict[str, Decimal | None]:
    """The graded figures from the plain figures handed in.

    fraud hits are graded as a rate per application; dpd30_rate may come as a dict by month on
    book, of which the most mature month (the largest key) is graded.
    """
    applications = int(raw.get("applications") or 0)
    fraud_hits = raw.get("fraud_hits")
    fraud_rate = None
    if fraud_hits is not None:
        fraud_rate = (
            (Decimal(int(fraud_hits)) / Decimal(applications)).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
            if applications
            else Decimal("0")
        )
    dpd30 = raw.get("dpd30_rate")
    if isinstance(dpd30, dict):
        dpd30 = dpd30[max(dpd30, key=lambda k: int(k))] if dpd30 else None
    return {
        "approval_rate": _dec(raw.get("approval_rate")),
        "fraud_hit_rate": fraud_rate,
        "fpd_rate": _dec(raw.get("fpd_rate")),
        "dpd30_rate": _dec(dpd30),
        "document_rejection_rate": _dec(raw.get("document_rejection_rate")),
        "cancellation_after_funding_rate": _dec(raw.get("cancellation_after_funding_rate")),
        "repurchase_rate": _repurchase_rate(raw),
    }


def _repurchase_rate(raw: dict) -> Decimal | None:
    """Loans bought back over loans funded (both in the year handed in); none funded: none."""
    funded = int(raw.get("loans_funded") or 0)
    if raw.get("repurchases") is None or not funded:
        return None
    return (Decimal(int(raw["repurchases"])) / Decimal(funded)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def grade_compute(*, policy: GradingPolicy, raw: dict) -> dict:
    """Pure: score, grade and each metric's contribution under a policy.

    A metric scores 100 at `good` and 0 at `bad`, linearly between (clamped); its points are
    its weight's share of the present metrics' weights times that subscore. Missing metrics are
    left out and the others' weights renormalised.
    """
    values = derived_metrics(raw)
    present = {
        name: spec
        for name, spec in policy.metrics.items()
        if values.get(name) is not None and Decimal(str(spec["weight"])) > 0
    }
    total_weight = sum((Decimal(str(spec["weight"])) for spec in present.values()), Decimal(0))
    contributions: dict[str, dict] = {}
    score = Decimal("0")
    for name, spec in policy.metrics.items():
        value = values.get(name)
        good, bad = Decimal(str(spec["good"])), Decimal(str(spec["bad"]))
        alert_at = _dec(spec.get("alert"))
        higher_is_better = good > bad
        entry = {
            "value": None if value is None else str(value),
            "weight": spec["weight"],
            "good": spec["good"],
            "bad": spec["bad"],
            "alert": spec.get("alert"),
        }
        if name not in present:
            entry.update({"subscore": None, "points": "0.00", "missing": value is None})
            contributions[name] = entry
            continue
        fraction = (bad - value) / (bad - good)
        fraction = min(max(fraction, Decimal(0)), Decimal(1))
        subscore = (fraction * HUNDRED).quantize(POINTS, rounding=ROUND_HALF_UP)
        points = (Decimal(str(spec["weight"])) / total_weight * subscore).quantize(
            POINTS, rounding=ROUND_HALF_UP
        )
        score += points
        breached = alert_at is not None and (
            value < alert_at if higher_is_better else value > alert_at
        )
        entry.update({"subscore": str(subscore), "points": str(points), "breached": breached})
        contributions[name] = entry
    grade = "D"
    for letter in "ABC":
        if score >= Decimal(str(policy.cutoffs[letter])):
            grade = letter
            break
    # A car sold out of trust (库存融资违规售车: sold without paying off its floor-plan advance)
    # is a breach of the dealer's trust, not a rate to weigh: it grades D whatever the score.
    sold_out_of_trust = int(raw.get("sold_out_of_trust") or 0)
    if sold_out_of_trust:
        grade = "D"
        contributions["sold_out_of_trust"] = {
            "value": str(sold_out_of_trust),
            "weight": "—",
            "points": "0.00",
            "breached": True,
        }
    return {
        "score": score.quantize(POINTS, rounding=ROUND_HALF_UP),
        "grade": grade,
        "values": {k: None if v is None else str(v) for k, v in values.items()},
        "contributions": contributions,
    }


def _alert(*, dealer: Dealer, as_of: dt.date, kind: str, metric: str, message: str, data: dict):
    alert, created = DealerAlert.objects.get_or_create(
        dealer=dealer,
        as_of=as_of,
        kind=kind,
        metric=metric,
        defaults={"message": message[:300], "data": data},
    )
    if created:
        audit_record(actor=SYSTEM, obj=alert, action="dealer_alert_raise", to_state="open")
        manager = dealer.account_manager
        if manager is not None and manager.email:
            notification_send(
                channel="email",
                to=manager.email,
                subject=gettext("渠道预警：%(dealer)s") % {"dealer": dealer.legal_name},
                body=message,
                purpose="dealer_alert",
                dedupe_key=f"dealer_alert:{alert.pk}",
            )
    return alert


def dealer_grades_recompute(*, as_of: dt.date, metrics: dict) -> list[DealerGrade]:
    """Grade each dealer in `metrics` (dealer_id → plain figures) as of a date under the
    active policy; raise alerts on a grade drop or a metric past its threshold. Re-running for
    the same date replaces that date's grade (and raises no alert twice)."""
    policy = grading_policy_active()
    results = []
    with transaction.atomic():
        ids = sorted(int(k) for k in metrics)
        dealers = {
            d.pk: d
            for d in Dealer.objects.select_for_update(of=("self",))
            .select_related("account_manager")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        for dealer_id in ids:
            dealer = dealers.get(dealer_id)
            if dealer is None:
                raise DealerError(_("经销商不存在。"), code="unknown_dealer")
            raw = metrics.get(dealer_id, metrics.get(str(dealer_id)))
            results.append(_grade_one(dealer=dealer, as_of=as_of, raw=raw, policy=policy))
    return results


def _grade_one(*, dealer: Dealer, as_of: dt.date, raw: dict, policy: GradingPolicy) -> DealerGrade:
    computed = grade_compute(policy=policy, raw=raw)
    previous = (
        DealerGrade.objects.filter(dealer=dealer, as_of__lt=as_of).order_by("-as_of", "-id").first()
    )
    row, _created = DealerGrade.objects.update_or_create(
        dealer=dealer,
        as_of=as_of,
        defaults={
            "policy": policy,
            "score": computed["score"],
            "grade": computed["grade"],
            "inputs": {"raw": _json_safe(raw), "values": computed["values"]},
            "contributions": computed["contributions"],
        },
    )
    audit_record(
        actor=SYSTEM,
        obj=dealer,
        action="dealer_grade",
        from_state=previous.grade if previous else "",
        to_state=row.grade,
        data={"as_of": as_of.isoformat(), "score": str(row.score), "policy": policy.version},
    )
    if previous and GRADE_ORDER.index(row.grade) > GRADE_ORDER.index(previous.grade):
        _alert(
            dealer=dealer,
            as_of=as_of,
            kind=DealerAlert.Kind.GRADE_DROP,
            metric="",
            message=gettext("%(dealer)s 渠道评级由 %(old)s 下调至 %(new)s（得分 %(score)s）。")
            % {
                "dealer": dealer.legal_name,
                "old": previous.grade,
                "new": row.grade,
                "score": row.score,
            },
            data={"from": previous.grade, "to": row.grade, "score": str(row.score)},
        )
    for name, entry in computed["contributions"].items():
        if entry.get("breached"):
            _alert(
                dealer=dealer,
                as_of=as_of,
                kind=DealerAlert.Kind.METRIC,
                metric=name,
                message=gettext("%(dealer)s %(metric)s 为 %(value)s，超过预警线 %(alert)s。")
                % {
                    "dealer": dealer.legal_name,
                    "metric": METRIC_LABELS.get(name, name),
                    "value": entry["value"],
                    "alert": entry["alert"],
                },
                data={"value": entry["value"], "alert": entry["alert"]},
            )
    return row


def dealer_sold_out_of_trust_alert(
    *, dealer_id: int, as_of: dt.date, vins: list[str], audit_ref: str
) -> DealerAlert:
    """Servicing's stock audit found financed cars sold out of trust: the account manager is
    alerted at once (one alert per dealer and day); the nightly grading grades the dealer D."""
    dealer = Dealer.objects.select_related("account_manager").get(pk=dealer_id)
    return _alert(
        dealer=dealer,
        as_of=as_of,
        kind=DealerAlert.Kind.METRIC,
        metric="sold_out_of_trust",
        message=gettext("%(dealer)s 盘库发现违规售车 %(n)s 台（%(audit)s）：%(vins)s。")
        % {
            "dealer": dealer.legal_name,
            "n": len(vins),
            "audit": audit_ref,
            "vins": "、".join(vins),
        },
        data={"vins": vins, "audit": audit_ref},
    )


def dealer_grade_recompute_now(*, actor, dealer_id: int) -> DealerGrade:
    """The account manager's button: re-grade from the latest figures under the active policy."""
    dealer = Dealer.objects.get(pk=dealer_id)
    require_manages(actor, dealer)
    latest = DealerGrade.objects.filter(dealer=dealer).order_by("-as_of", "-id").first()
    if latest is None:
        raise DealerError(_("尚无评级指标数据，无法重新评级。"), code="no_metrics")
    as_of = max(business_date_current(), latest.as_of)
    rows = dealer_grades_recompute(as_of=as_of, metrics={dealer.pk: latest.inputs["raw"]})
    audit_record(actor=actor, obj=dealer, action="dealer_grade_recompute_request")
    return rows[0]


def dealer_alert_resolve(*, actor, alert_id: int) -> DealerAlert:
    from django.utils import timezone

    with transaction.atomic():
        alert = DealerAlert.objects.select_for_update().select_related("dealer").get(pk=alert_id)
        require_manages(actor, alert.dealer)
        if alert.resolved_at is None:
            alert.resolved_at = timezone.now()
            alert.save(update_fields=["resolved_at"])
            audit_record(
                actor=actor,
                obj=alert,
                action="dealer_alert_resolve",
                from_state="open",
                to_state="resolved",
            )
    return alert
