"""Transaction monitoring of one business date's repayments and prepayments (交易监测).

Run by the nightly step `aml_monitoring` over the posted money received on D, a handful of
grouped queries, no per-loan round trip:
- large-value (servicing.aml_rules): per customer and channel, the day's total against the
  threshold in force; the report is due 5 working days after D;
- structuring: customers paid on D whose daily totals over the last 7 days stay under a
  threshold but cluster just under it, or add up past it (policy
  `servicing.aml_structuring_margin`);
- early settlement within policy `servicing.aml_early_settlement_days` of funding;
- a payer account that is not the borrower's own (repayment.payer_account_hash);
- many manual (cash-like) postings on one loan over 30 days (policy
  `servicing.aml_small_repayments_count`).
Alerts are unique per (kind, loan, date), so a re-run adds nothing; the window rules also skip
a loan that already has the same alert within the window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Min, Sum

from autofin.policy import policy_value
from autofin.working_days import working_days_after
from origination.models.applications import Applicant, ApplicantRole
from servicing.aml_rules import (
    REPORT_WORKING_DAYS,
    SMALL_REPAYMENTS_WINDOW_DAYS,
    STRUCTURING_WINDOW_DAYS,
    large_value_threshold,
    structuring_found,
    thresholds_on,
)
from servicing.models.aml import AmlAlert, AmlAlertKind
from servicing.models.repayments import (
    Repayment,
    RepaymentPurpose,
    RepaymentSource,
    RepaymentStatus,
)

K = AmlAlertKind


def _money_in(day_from: dt.date, day_to: dt.date):
    """Money received from outside (suspense applied is the customer's money already counted)."""
    return Repayment.objects.filter(
        received_on__gte=day_from, received_on__lte=day_to, status=RepaymentStatus.POSTED
    ).exclude(source=RepaymentSource.SUSPENSE)


def _large_value(d: dt.date) -> list[AmlAlert]:
    t = thresholds_on(d)
    due = working_days_after(d, REPORT_WORKING_DAYS)
    groups = (
        _money_in(d, d)
        .values("loan__customer_id", "payment_channel")
        .annotate(total=Sum("amount"), ids=ArrayAgg("id"), loan_id=Min("loan_id"), n=Count("id"))
    )
    alerts = []
    for g in groups:
        # every AutoFin borrower is a natural person (no company customers yet)
        kind, threshold = large_value_threshold(t, channel=g["payment_channel"])
        if g["total"] >= threshold:
            alerts.append(
                AmlAlert(
                    kind=kind,
                    loan_id=g["loan_id"],
                    business_date=d,
                    amount=g["total"],
                    repayment_ids=sorted(g["ids"]),
                    report_due=due,
                    facts={
                        "threshold": str(threshold),
                        "channel": g["payment_channel"],
                        "count": g["n"],
                        "same_day_cumulative": g["n"] > 1,
                        "table_from": str(t.effective_from),
                    },
                )
            )
    return alerts


def _already(kind: str, loan_ids: set[int], since: dt.date) -> set[int]:
    return set(
        AmlAlert.objects.filter(
            kind=kind, loan_id__in=loan_ids, business_date__gte=since
        ).values_list("loan_id", flat=True)
    )


def _structuring(d: dt.date) -> list[AmlAlert]:
    t = thresholds_on(d)
    margin = Decimal(policy_value("servicing.aml_structuring_margin"))
    since = d - dt.timedelta(days=STRUCTURING_WINDOW_DAYS - 1)
    customers = set(_money_in(d, d).values_list("loan__customer_id", flat=True))
    rows = (
        _money_in(since, d)
        .filter(loan__customer_id__in=customers)
        .values("loan__customer_id", "payment_channel", "received_on")
        .annotate(total=Sum("amount"), ids=ArrayAgg("id"), loan_id=Min("loan_id"))
    )
    windows: dict[tuple, dict] = defaultdict(lambda: {"days": {}, "ids": [], "loans": set()})
    for r in rows:
        w = windows[(r["loan__customer_id"], r["payment_channel"])]
        w["days"][r["received_on"]] = r["total"]
        w["ids"] += r["ids"]
        w["loans"].add(r["loan_id"])
    alerts = []
    for (_customer, channel), w in windows.items():
        _kind, threshold = large_value_threshold(t, channel=channel)
        evidence = structuring_found(w["days"], threshold=threshold, margin=margin)
        loan_id = min(w["loans"])
        if evidence and not _already(K.STRUCTURING, {loan_id}, since):
            evidence.update(threshold=str(threshold), channel=channel)
            alerts.append(
                AmlAlert(
                    kind=K.STRUCTURING,
                    loan_id=loan_id,
                    business_date=d,
                    amount=sum(w["days"].values(), Decimal("0")),
                    repayment_ids=sorted(w["ids"]),
                    facts=evidence,
                )
            )
    return alerts


def _early_settlement(d: dt.date) -> list[AmlAlert]:
    days = int(policy_value("servicing.aml_early_settlement_days"))
    found = _money_in(d, d).filter(
        purpose=RepaymentPurpose.PAYOFF, loan__value_date__gte=d - dt.timedelta(days=days)
    )
    return [
        AmlAlert(
            kind=K.EARLY_SETTLEMENT,
            loan_id=r.loan_id,
            business_date=d,
            amount=r.amount,
            repayment_ids=[r.pk],
            facts={
                "funded_on": str(r.loan.value_date),
                "days": (d - r.loan.value_date).days,
                "limit": days,
            },
        )
        for r in found.select_related("loan")
    ]


def _third_party(d: dt.date) -> list[AmlAlert]:
    paid = list(
        _money_in(d, d)
        .exclude(payer_account_hash="")
        .values("id", "loan_id", "amount", "payer_account_hash", "loan__application_id")
    )
    own = dict(
        Applicant.objects.filter(
            application_id__in={p["loan__application_id"] for p in paid},
            role=ApplicantRole.PRIMARY,
        ).values_list("application_id", "bank_account_hash")
    )
    by_loan: dict[int, list[dict]] = defaultdict(list)
    for p in paid:
        if p["payer_account_hash"] != own.get(p["loan__application_id"]):
            by_loan[p["loan_id"]].append(p)
    return [
        AmlAlert(
            kind=K.THIRD_PARTY_PAYER,
            loan_id=loan_id,
            business_date=d,
            amount=sum((p["amount"] for p in ps), Decimal("0")),
            repayment_ids=sorted(p["id"] for p in ps),
            facts={"payer_accounts": len({p["payer_account_hash"] for p in ps})},
        )
        for loan_id, ps in by_loan.items()
    ]


def _many_small(d: dt.date) -> list[AmlAlert]:
    limit = int(policy_value("servicing.aml_small_repayments_count"))
    since = d - dt.timedelta(days=SMALL_REPAYMENTS_WINDOW_DAYS - 1)
    loans = set(
        _money_in(d, d).filter(source=RepaymentSource.MANUAL).values_list("loan_id", flat=True)
    )
    counted = (
        _money_in(since, d)
        .filter(source=RepaymentSource.MANUAL, loan_id__in=loans)
        .values("loan_id")
        .annotate(n=Count("id"), total=Sum("amount"), ids=ArrayAgg("id"))
        .filter(n__gte=limit)
    )
    done = _already(K.MANY_SMALL, loans, since)
    return [
        AmlAlert(
            kind=K.MANY_SMALL,
            loan_id=c["loan_id"],
            business_date=d,
            amount=c["total"],
            repayment_ids=sorted(c["ids"]),
            facts={"count": c["n"], "limit": limit, "days": SMALL_REPAYMENTS_WINDOW_DAYS},
        )
        for c in counted
        if c["loan_id"] not in done
    ]


RULES = (_large_value, _structuring, _early_settlement, _third_party, _many_small)


def aml_monitor_day(*, business_date: dt.date) -> dict[str, int]:
    """Raise the day's alerts; returns how many of each kind were new."""
    counts: dict[str, int] = {}
    for rule in RULES:
        alerts = rule(business_date)
        before = AmlAlert.objects.filter(business_date=business_date).count()
        AmlAlert.objects.bulk_create(alerts, ignore_conflicts=True)
        new = AmlAlert.objects.filter(business_date=business_date).count() - before
        if new:
            counts[rule.__name__.strip("_")] = new
    return counts
