"""Step 9 — dealer metrics for channel grading; commission clawbacks; month-end statements.

Gathered nightly for every dealer with applications or loans (one set-based query each):
applications and approvals (submitted in the last 90 days; approval_rate), anti-fraud hits in
the same window (risk's `fraud_hits_by_dealer`), FPD (first instalment due at least 30 days ago
and paid more than 30 days late or still unpaid) as a rate, and the 30+ DPD rate by month on
book (loans at least 3 / 6 / 12 months on book that ever reached 30 DPD), and the floor-plan
cars found sold out of trust by stock audits in the past year. They are handed to the
dealers app's `dealer_grades_recompute(as_of=D, metrics=...)`.
Clawbacks (`commission_clawback`, idempotent): loans settled early on D+1 (the date the batch's
postings carry) or D, and loans reaching default (90 DPD) or charged off on D; each posted to
the dealer's sub-ledger (`commission_clawback_post`, idempotent).
After grading, deposit calls (`deposit_calls_raise`): one for each agreement in force that has
none yet, and a top-up for each dealer whose grade dropped on D.
The month of D's KPIs (servicing.services.dealer_kpis) are recorded from the loans and
applications, so the KPI page reconciles with the commission statement.
At month-end (D+1 is the 1st) every dealer with commissions gets its frozen monthly statement
(`commission_statement_for_month`), and each statement with something to pay its payout for
finance to prepare and release (`commission_payout_create`).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models.commissions import Commission
from dealers.models.dealers import Dealer
from dealers.rules import DealerError
from dealers.services.commissions import commission_clawback, commission_statement_for_month
from dealers.services.grading import dealer_grades_recompute
from risk.selectors.fraud import fraud_hits_by_dealer
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import UNPAID, rows
from servicing.selectors.commissions import statements_awaiting_payout
from servicing.services.commissions.ledger import commission_clawback_post
from servicing.services.commissions.payouts import commission_payout_create
from servicing.services.dealer_kpis import dealer_month_kpis_record
from servicing.services.deposits.calls import deposit_calls_raise

WINDOW_DAYS = 90
REPURCHASE_WINDOW_DAYS = 365
MOB_POINTS = (3, 6, 12)
SOLD_OUT_OF_TRUST_DAYS = 365


def dealer_metrics_gather(*, as_of: dt.date) -> dict[int, dict]:

    known = set(Dealer.objects.values_list("id", flat=True))
    since = as_of - dt.timedelta(days=WINDOW_DAYS)
    metrics: dict[int, dict] = {}
    for dealer_id, applications, approved in rows(
        """
        SELECT dealer_id, count(*),
               count(*) FILTER (WHERE status IN ('approved', 'contract_signed', 'funded',
                                                 'counter_offered'))
          FROM origination_application
         WHERE dealer_id IS NOT NULL AND submitted_at IS NOT NULL
           AND submitted_at::date > %s AND submitted_at::date <= %s
         GROUP BY dealer_id
        """,
        [since, as_of],
    ):
        metrics.setdefault(dealer_id, {}).update(
            applications=applications,
            approved=approved,
            approval_rate=str(
                (Decimal(approved) / applications).quantize(
                    Decimal("0.0001"), rounding=ROUND_HALF_UP
                )
            ),
        )
    start = timezone.make_aware(dt.datetime.combine(since + dt.timedelta(days=1), dt.time.min))
    for dealer_id, hits in fraud_hits_by_dealer(since=start).items():
        metrics.setdefault(dealer_id, {"applications": 0})["fraud_hits"] = hits
    mob_cols = ", ".join(
        f"count(*) FILTER (WHERE mob >= {m}), count(*) FILTER (WHERE mob >= {m} AND ever30)"
        for m in MOB_POINTS
    )
    for row in rows(
        f"""
        SELECT dealer_id,
               count(*) FILTER (WHERE fpd_due), count(*) FILTER (WHERE fpd_due AND fpd),
               {mob_cols}
          FROM (
            SELECT l.dealer_id,
                   (extract(year FROM age(%(d)s::date, l.value_date)) * 12
                    + extract(month FROM age(%(d)s::date, l.value_date)))::int AS mob,
                   coalesce(x.max_dpd, 0) >= 30 AS ever30,
                   f.due_date <= %(d)s::date - 30 AS fpd_due,
                   (f.paid_on > f.due_date + 30 OR (f.status <> 'paid' AND {UNPAID} > 0)) AS fpd
              FROM servicing_loan l
              LEFT JOIN servicing_loandelinquency x ON x.loan_id = l.id
              LEFT JOIN servicing_loanschedulerow f
                     ON f.loan_id = l.id AND f.instalment_no = 1 AND f.schedule_version = 1
              LEFT JOIN LATERAL (SELECT f.principal, f.principal_paid, f.interest,
                                        f.interest_paid, f.fee, f.fee_paid, f.penalty,
                                        f.penalty_paid) r ON TRUE
             WHERE l.dealer_id IS NOT NULL
          ) t
         GROUP BY dealer_id
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"d": as_of},
    ):
        dealer_id, fpd_n, fpd_bad, *mob = row
        entry = metrics.setdefault(dealer_id, {"applications": 0})
        if fpd_n:
            entry["fpd_rate"] = str(
                (Decimal(fpd_bad) / fpd_n).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            )
        by_mob = {}
        for i, m in enumerate(MOB_POINTS):
            n, bad = mob[2 * i], mob[2 * i + 1]
            if n:
                by_mob[str(m)] = str(
                    (Decimal(bad) / n).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
                )
        if by_mob:
            entry["dpd30_rate"] = by_mob
    _repurchase_metrics(metrics, as_of=as_of)
    # cars sold out of trust found by stock audits in the past year (graded D by dealers)
    for dealer_id, count in rows(
        """
        SELECT a.dealer_id, count(*)
          FROM servicing_stockaudititem i JOIN servicing_stockaudit a ON a.id = i.audit_id
         WHERE i.sold_out_of_trust AND a.status = 'completed'
           AND a.performed_on > %s::date - %s AND a.performed_on <= %s
         GROUP BY a.dealer_id
        """,
        [as_of, SOLD_OUT_OF_TRUST_DAYS, as_of],
    ):
        metrics.setdefault(dealer_id, {"applications": 0})["sold_out_of_trust"] = count
    return {k: v for k, v in metrics.items() if k in known}


def _repurchase_metrics(metrics: dict[int, dict], *, as_of: dt.date) -> None:
    """Repurchase history for grading: loans each dealer bought back over its loans funded,
    both in the last year, and the amount bought back."""
    for dealer_id, funded, bought, amount in rows(
        """
        SELECT l.dealer_id,
               count(*) FILTER (WHERE l.value_date > %(since)s),
               count(r.id) FILTER (WHERE r.closed_on > %(since)s),
               coalesce(sum(r.amount) FILTER (WHERE r.closed_on > %(since)s), 0)
          FROM servicing_loan l
          LEFT JOIN servicing_repurchase r
                 ON r.loan_id = l.id AND r.status IN ('due', 'settled')
         WHERE l.dealer_id IS NOT NULL AND l.value_date <= %(d)s
         GROUP BY l.dealer_id
        """,
        {"d": as_of, "since": as_of - dt.timedelta(days=REPURCHASE_WINDOW_DAYS)},
    ):
        if funded or bought:
            entry = metrics.setdefault(dealer_id, {"applications": 0})
            entry.update(loans_funded=funded, repurchases=bought, repurchase_amount=str(amount))


def dealer_clawbacks(*, business_date: dt.date) -> int:

    count = 0
    events = rows(
        """
        SELECT l.contract_ref, 'early_settlement' FROM servicing_loan l
         WHERE l.status = 'settled_early' AND l.closed_on BETWEEN %(d)s AND %(d)s::date + 1
        UNION ALL
        SELECT l.contract_ref, 'default' FROM servicing_loan l
          JOIN servicing_loandelinquency x ON x.loan_id = l.id
         WHERE l.dealer_id IS NOT NULL
           AND ((x.dpd = 90 AND x.as_of = %(d)s)
                OR (l.status = 'charged_off' AND l.closed_on = %(d)s))
        """,
        {"d": business_date},
    )
    for contract_ref, reason in events:
        try:
            # The clawback row and its entry commit together (a re-run posts neither twice).
            with transaction.atomic():
                clawback = commission_clawback(
                    contract_ref=contract_ref, reason=reason, event_date=business_date
                )
                if clawback is None:
                    continue  # outside the agreement's clawback window
                commission_clawback_post(
                    clawback_id=clawback.pk,
                    dealer_id=clawback.commission.dealer_id,
                    amount=clawback.amount,
                    contract_ref=clawback.commission.contract_ref,
                    on=clawback.event_date,
                )
        except DealerError:
            continue  # no commission on this contract
        count += 1
    return count


@register(code="dealer_metrics", label=_("经销商指标、返佣追回与月结"), position=90, chunked=False)
def dealer_metrics_step(ctx: StepContext, lo: int, hi: int) -> dict:

    d = ctx.business_date
    metrics = dealer_metrics_gather(as_of=d)
    graded = dealer_grades_recompute(as_of=d, metrics=metrics) if metrics else []
    # after grading: a grade that dropped today calls a deposit top-up
    deposit_calls = deposit_calls_raise(as_of=d)
    clawbacks = dealer_clawbacks(business_date=d)
    # the month so far, final on its last night: the KPI page counts what the statement lists
    kpis = dealer_month_kpis_record(month=d)
    statements = 0
    if ctx.next_date.day == 1:
        for dealer_id in (
            Commission.objects.filter(funded_on__lte=d)
            .values_list("dealer_id", flat=True)
            .distinct()
        ):
            commission_statement_for_month(dealer=dealer_id, month=d)
            statements += 1
        for statement in statements_awaiting_payout().order_by("pk"):
            commission_payout_create(statement=statement)
    return {
        "dealers": len(graded),
        "deposit_calls": deposit_calls,
        "kpis": kpis,
        "clawbacks": clawbacks,
        "statements": statements,
    }
