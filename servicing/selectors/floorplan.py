"""Reads of floor-plan lines (库存融资): what a line has used and has left, and the dealer's line
statement — advances, interest, curtailments, payments, available limit — as a page shows it
and as its CSV writes it (`line_statement_csv_rows`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DecimalField, F, Sum, When
from django.utils.translation import gettext as _

from autofin.money import ZERO
from origination.models.floorplan import FloorplanLine
from servicing.models.floorplan import (
    LIVE_ADVANCE_STATUSES,
    AdvanceStatus,
    CurtailmentStatus,
    FloorplanAdvance,
    FloorplanCurtailment,
    FloorplanPayment,
)
from servicing.models.stock_audits import StockAudit, StockAuditStatus

AUDIT_OPEN = (StockAuditStatus.SCHEDULED, StockAuditStatus.IN_PROGRESS)


def line_used(line_id: int) -> Decimal:
    """Principal outstanding of funded advances plus the amounts of those not yet funded
    (requested, approved, on their way to the bank): what the line cannot lend again."""
    total = FloorplanAdvance.objects.filter(
        line_id=line_id, status__in=LIVE_ADVANCE_STATUSES
    ).aggregate(
        used=Sum(
            Case(
                When(status=AdvanceStatus.FUNDED, then=F("principal_outstanding")),
                default=F("amount"),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            )
        )
    )["used"]
    return total or ZERO


def _by_dealer(field: str) -> dict[int, Decimal]:
    rows = (
        FloorplanAdvance.objects.filter(**{f"{field}__gt": 0})
        .values("dealer_id")
        .annotate(s=Sum(field))
    )
    return {r["dealer_id"]: r["s"] for r in rows}


def floorplan_receivable_by_dealer() -> dict[int, Decimal]:
    """{dealer_id: principal its funded advances still owe}: the sub-ledger of
    floorplan_receivable (partner_ledgers)."""
    return _by_dealer("principal_outstanding")


def floorplan_interest_by_dealer() -> dict[int, Decimal]:
    """{dealer_id: interest accrued on its advances and not yet paid}: the sub-ledger of
    floorplan_interest_receivable."""
    return _by_dealer("interest_accrued_unpaid")


def line_available(line) -> Decimal:
    """The limit less what is in use, never below zero (a lowered limit leaves nothing)."""
    return max(line.limit - line_used(line.pk), ZERO)


def _interest_by_month(line_id: int, start: dt.date, end: dt.date) -> list[tuple]:
    """The interest accrued on the line's advances per month (ledger lines of the floor-plan
    interest receivable posted by the nightly accrual)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT date_trunc('month', e.business_date)::date AS month,
                   max(e.business_date) AS through,
                   sum(CASE l.side WHEN 'D' THEN l.amount ELSE -l.amount END) AS amount
              FROM servicing_journalline l
              JOIN servicing_journalentry e ON e.id = l.entry_id
              JOIN servicing_ledgeraccount acc ON acc.id = l.account_id
              JOIN servicing_floorplanadvance a ON a.id = l.floorplan_advance_id
             WHERE a.line_id = %s AND acc.code = 'floorplan_interest_receivable'
               AND e.source_type = 'floorplan' AND e.idempotency_key LIKE 'eod:%%'
               AND e.business_date BETWEEN %s AND %s
             GROUP BY 1 ORDER BY 1
            """,
            [line_id, start, end],
        )
        return cursor.fetchall()


def line_statement(*, line: FloorplanLine, start: dt.date | None, end: dt.date) -> dict:
    """The line's statement for [start, end] (start None: since its first advance): its
    figures now, each advance with its stages, and the period's movements in date order
    (funded, interest by month, curtailments billed, payments)."""
    advances = list(
        FloorplanAdvance.objects.filter(line=line)
        .exclude(status=AdvanceStatus.REJECTED)
        .prefetch_related("curtailments")
        .order_by("funded_on", "pk")
    )
    ids = [a.pk for a in advances]
    by_id = {a.pk: a for a in advances}
    if start is None:
        start = min((a.funded_on for a in advances if a.funded_on), default=end)
    movements: list[dict] = []
    for a in advances:
        if a.funded_on and start <= a.funded_on <= end:
            movements.append(
                {"date": a.funded_on, "kind": "advance", "label": _("放款"), "vin": a.vin,
                 "amount": a.amount, "principal": a.amount, "interest": ZERO}
            )  # fmt: skip
    for month, through, amount in _interest_by_month(line.pk, start, end):
        movements.append(
            {"date": through, "kind": "interest", "label": _("利息计提 %(month)s")
             % {"month": month.strftime("%Y-%m")}, "vin": "", "amount": amount,
             "principal": ZERO, "interest": amount}
        )  # fmt: skip
    for c in FloorplanCurtailment.objects.filter(
        advance_id__in=ids, billed_on__range=(start, end)
    ).order_by("billed_on", "advance_id", "stage"):
        movements.append(
            {"date": c.billed_on, "kind": "curtailment",
             "label": _("分期还款出账 第 %(stage)s 期（%(due)s 到期）")
             % {"stage": c.stage, "due": c.due_on.isoformat()},
             "vin": by_id[c.advance_id].vin, "amount": c.amount, "principal": ZERO,
             "interest": ZERO}
        )  # fmt: skip
    for p in FloorplanPayment.objects.filter(
        advance_id__in=ids, received_on__range=(start, end)
    ).order_by("received_on", "pk"):
        movements.append(
            {"date": p.received_on, "kind": "payment",
             "label": _("还款（%(source)s）") % {"source": p.get_source_kind_display()},
             "vin": by_id[p.advance_id].vin, "amount": p.amount,
             "principal": -p.principal_part, "interest": -p.interest_part}
        )  # fmt: skip
    order = {"advance": 0, "interest": 1, "curtailment": 2, "payment": 3}
    movements.sort(key=lambda m: (m["date"], order[m["kind"]]))
    funded = [a for a in advances if a.status == AdvanceStatus.FUNDED]
    stages = [c for a in funded for c in a.curtailments.all()]
    used = line_used(line.pk)
    return {
        "line": line,
        "start": start,
        "end": end,
        "advances": advances,
        "movements": movements,
        "limit": line.limit,
        "used": used,
        "available": max(line.limit - used, ZERO),
        "principal_outstanding": sum((a.principal_outstanding for a in funded), ZERO),
        "interest_unpaid": sum((a.interest_accrued_unpaid for a in funded), ZERO),
        "curtailments_due": sum(
            (c.amount - c.paid_amount for c in stages if c.status != CurtailmentStatus.PAID),
            ZERO,
        ),
        "curtailments_overdue": sum(
            (c.amount - c.paid_amount for c in stages if c.status == CurtailmentStatus.OVERDUE),
            ZERO,
        ),
        "overdue_advances": sum(1 for a in funded if a.overdue),
    }


def line_statement_csv_rows(statement: dict) -> list[list[str]]:
    """The statement as CSV rows: a header of the line's figures, then one row a movement."""
    rows = [
        [_("授信额度"), str(statement["limit"])],
        [_("已用额度"), str(statement["used"])],
        [_("可用额度"), str(statement["available"])],
        [_("未还本金"), str(statement["principal_outstanding"])],
        [_("应收未收利息"), str(statement["interest_unpaid"])],
        [_("待还分期"), str(statement["curtailments_due"])],
        [_("逾期分期"), str(statement["curtailments_overdue"])],
        [],
        [_("日期"), _("项目"), _("车架号"), _("金额"), _("本金变动"), _("利息变动")],
    ]
    for m in statement["movements"]:
        rows.append(
            [m["date"].isoformat(), m["label"], m["vin"], str(m["amount"]),
             str(m["principal"]), str(m["interest"])]
        )  # fmt: skip
    return rows


def audits_board(*, limit: int = 100) -> list[StockAudit]:
    """Open audits first (by planned date), then the latest completed ones."""
    open_ = list(
        StockAudit.objects.filter(status__in=AUDIT_OPEN)
        .select_related("line__dealer", "auditor")
        .order_by("scheduled_on", "pk")[:limit]
    )
    done = list(
        StockAudit.objects.exclude(status__in=AUDIT_OPEN)
        .select_related("line__dealer", "auditor")
        .order_by("-performed_on", "-pk")[:limit]
    )
    return open_ + done


def audit_checklist(audit: StockAudit) -> list[dict]:
    """The audit's cars with what the lender knows of each (model, amount, still financed)."""
    items = audit.items.select_related("advance").order_by("pk")
    return [
        {
            "item": i,
            "advance": i.advance,
            "still_financed": i.advance.status == AdvanceStatus.FUNDED,
        }
        for i in items
    ]
