"""Read queries for loan accounts, schedules and repayments (views, API, the nightly batch)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from autofin.money import ZERO
from autofin.replica import read_alias
from risk.models import EarlyWarningRule
from servicing import loan_rules
from servicing.models import JournalEntry
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanScheduleRow,
    PayoffQuoteRecord,
    RowStatus,
)
from servicing.models.repayments import Repayment, RepaymentStatus
from servicing.models.telematics import EarlyWarningAction, TelematicsEvent, VehiclePosition


def loans_of_customer(*, user) -> QuerySet[Loan]:
    return Loan.objects.filter(customer=user).order_by("-value_date", "-id")


def loan_for_customer(*, user, loan_id: int) -> Loan | None:
    return Loan.objects.filter(customer=user, pk=loan_id).first()


def loan_search(*, query: str = "", status: str = "") -> QuerySet[Loan]:
    """Loans by contract number, VIN, plate, customer name or phone (agent's search); a list
    that tolerates a replica's lag (the loan page itself reads the primary)."""
    qs = Loan.objects.using(read_alias()).select_related("customer").order_by("-id")
    query = (query or "").strip()
    if query:
        cond = (
            Q(contract_ref__icontains=query)
            | Q(vin__iexact=query)
            | Q(plate__icontains=query)
            | Q(customer__display_name__icontains=query)
            | Q(customer__phone=query)
        )
        if query.isdigit():
            cond |= Q(pk=int(query))
        qs = qs.filter(cond)
    if status:
        qs = qs.filter(status=status)
    return qs


def schedule_in_force(*, loan: Loan) -> list[LoanScheduleRow]:
    return list(loan.schedule_rows())


def schedule_versions(*, loan: Loan) -> list[int]:
    return list(range(1, loan.schedule_version + 1))


@dataclass(frozen=True)
class NextDue:
    due_date: dt.date
    amount: Decimal
    instalment_no: int
    overdue_amount: Decimal


def next_due(*, loan: Loan, on: dt.date) -> NextDue | None:
    """The next instalment to pay and, separately, what is already overdue."""
    if loan.status in CLOSED_STATUSES:
        return None
    rows = [r for r in loan.schedule_rows() if r.status != RowStatus.PAID]
    overdue = sum((r.amount_unpaid for r in rows if r.due_date < on), ZERO)
    upcoming = next((r for r in rows if r.due_date >= on), None)
    if upcoming is None and not overdue:
        return None
    amount = (upcoming.amount_unpaid if upcoming else ZERO) + overdue
    amount = max(amount - loan.suspense_balance, ZERO)
    return NextDue(
        due_date=upcoming.due_date if upcoming else on,
        amount=amount,
        instalment_no=upcoming.instalment_no if upcoming else rows[0].instalment_no,
        overdue_amount=overdue,
    )


# The stored side of every loan's ledger balances, as ONE query: `loan_figures` runs it for one
# loan, the nightly reconciliation (servicing.eod.steps.reconciliation) for a range of loans.
# Columns: loan_id, principal (the loan's principal_outstanding), schedule_principal (unpaid
# principal of the rows in force), interest (the rows' interest due by `accrued_through`, plus
# what is posted of the current period, less interest paid), fee (fees due by
# `accrued_through` less paid), penalty (charged less paid), suspense. Charged-off loans have
# no figures: their receivables were written off (a repurchased loan's went to its dealer).
FIGURES_SQL = """
WITH fl AS (
    SELECT l.id, l.principal_outstanding, l.accrued_through, l.accrual_period_posted,
           l.suspense_balance
      FROM servicing_loan l
     WHERE l.id {scope} AND l.status NOT IN {written_off}
), fs AS (
    SELECT r.loan_id,
           sum(r.principal - r.principal_paid) AS principal,
           sum(r.interest) FILTER (WHERE r.due_date <= fl.accrued_through) AS interest_due,
           sum(r.interest_paid) AS interest_paid,
           sum(r.fee) FILTER (WHERE r.due_date <= fl.accrued_through) AS fee_due,
           sum(r.fee_paid) AS fee_paid,
           sum(r.penalty - r.penalty_paid) AS penalty
      FROM servicing_loanschedulerow r JOIN fl ON fl.id = r.loan_id
     WHERE r.loan_id {scope} AND r.superseded_by_version IS NULL
     GROUP BY r.loan_id
)
SELECT fl.id AS loan_id,
       fl.principal_outstanding AS principal,
       coalesce(fs.principal, 0) AS schedule_principal,
       coalesce(fs.interest_due, 0) + fl.accrual_period_posted - coalesce(fs.interest_paid, 0)
           AS interest,
       coalesce(fs.fee_due, 0) - coalesce(fs.fee_paid, 0) AS fee,
       coalesce(fs.penalty, 0) AS penalty,
       fl.suspense_balance AS suspense
  FROM fl LEFT JOIN fs ON fs.loan_id = fl.id
"""
FIGURE_COLUMNS = (
    "loan_id", "principal", "schedule_principal", "interest", "fee", "penalty", "suspense"
)  # fmt: skip


def loan_figures_sql(*, scope: str) -> str:
    """FIGURES_SQL for the loans whose id matches `scope`: "BETWEEN %(lo)s AND %(hi)s" or
    "= ANY(%(ids)s)" (values bound by the caller)."""
    return FIGURES_SQL.format(scope=scope, written_off=loan_rules.written_off_sql())


def loan_figures(*, loan: Loan) -> dict[str, Decimal]:
    """What the loan's ledger balances must be, from the schedule rows and the loan's fields:
    {account_code: balance on its normal side}. Charged-off loans have none."""
    with connection.cursor() as cursor:
        cursor.execute(loan_figures_sql(scope="= ANY(%(ids)s)"), {"ids": [loan.pk]})
        row = cursor.fetchone()
    if row is None:
        return {}
    figures = dict(zip(FIGURE_COLUMNS, row, strict=True))
    return {
        "principal_receivable": figures["schedule_principal"],
        "interest_receivable": figures["interest"],
        "fee_receivable": figures["fee"],
        "penalty_receivable": figures["penalty"],
        "customer_suspense": figures["suspense"],
    }


def loan_ledger_entries(*, loan: Loan, limit: int = 200) -> QuerySet[JournalEntry]:
    return (
        JournalEntry.objects.filter(loan_id=loan.pk)
        .prefetch_related("lines__account")
        .order_by("-business_date", "-id")[:limit]
    )


def loan_repayments(*, loan: Loan) -> QuerySet[Repayment]:
    return loan.repayments.select_related("prepared_by", "approved_by").order_by("-id")


def payoff_quote_latest(*, loan: Loan) -> PayoffQuoteRecord | None:
    return loan.payoff_quotes.order_by("-id").first()


def statement_months(*, loan: Loan) -> list[dict]:
    """A monthly statement per due date reached: the row and the repayments received in its period."""
    rows = list(loan.schedule_rows())
    reps = list(
        loan.repayments.filter(status__in=[RepaymentStatus.POSTED, RepaymentStatus.REVERSED])
        .exclude(source="suspense")
        .order_by("received_on", "id")
    )
    months = []
    for row in rows:
        received = [
            r for r in reps if r.received_on and row.accrual_start < r.received_on <= row.due_date
        ]
        months.append({"row": row, "repayments": received})
    return months


def loan_telematics(*, loan: Loan) -> dict:
    """The loan page's GPS panel and early-warning actions: the car's last position, its latest
    events (stored only under a location consent) and the actions opened for the loan, each with
    its rule's description."""
    actions = list(
        EarlyWarningAction.objects.filter(loan=loan).order_by("status", "due_date", "id")[:30]
    )
    rules = dict(EarlyWarningRule.objects.values_list("code", "description")) if actions else {}
    for action in actions:
        action.rule_label = rules.get(action.rule_code, action.rule_code)
    return {
        "gps_position": VehiclePosition.objects.filter(loan=loan).order_by("-recorded_at").first(),
        "gps_events": list(TelematicsEvent.objects.filter(loan=loan).order_by("-occurred_at")[:20]),
        "warning_actions": actions,
    }
