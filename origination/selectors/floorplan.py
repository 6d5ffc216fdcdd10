"""Reads of the floor-plan lines (库存融资额度): the limit a dealer's grade and funded volume
suggest, and the underwriters' board of every dealer with its open line.

The suggestion is the dealer's average monthly funded amount over the last six months times the
months of stock its grade may carry (policy `origination.floorplan_stock_months.<grade>`),
rounded down to whole ¥10,000s. Months with no figures count as nothing funded, so a new dealer
is suggested little until it has a record; an ungraded dealer is held to grade B, as its deposit
is."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from autofin.business_date import business_date_current
from autofin.models import AuditEntry
from autofin.money import FEN, ZERO, quantize_fen
from autofin.policy import policy_value
from dealers.selectors import dealers_credit_facts
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus

SUGGESTION_MONTHS = 6
LIMIT_STEP = Decimal("10000")
UNGRADED = "B"
OPEN_STATUSES = (FloorplanLineStatus.ACTIVE, FloorplanLineStatus.FROZEN)


def _since(today: dt.date) -> dt.date:
    """The first day of the month SUGGESTION_MONTHS months before today's month."""
    month = today.year * 12 + today.month - 1 - SUGGESTION_MONTHS
    return dt.date(month // 12, month % 12 + 1, 1)


def line_suggestion(facts: dict, *, stock_months: dict[str, Decimal] | None = None) -> dict:
    """The suggested limit for one dealer's facts (from `dealers_credit_facts`)."""
    grade = facts["grade"] or UNGRADED
    months = (stock_months or {}).get(grade)
    if months is None:
        months = policy_value(f"origination.floorplan_stock_months.{grade}")
    amounts = facts["funded_amounts"][:SUGGESTION_MONTHS]
    average = quantize_fen(sum(amounts, ZERO) / SUGGESTION_MONTHS)
    steps = (average * months / LIMIT_STEP).to_integral_value(rounding=ROUND_DOWN)
    return {
        "grade": facts["grade"],
        "grade_used": grade,
        "average_funded": average,
        "months_with_figures": len(amounts),
        "stock_months": months,
        "suggested": max(steps * LIMIT_STEP, ZERO).quantize(FEN, rounding=ROUND_DOWN),
    }


def dealer_line_suggestion(dealer_id: int) -> dict:
    facts = dealers_credit_facts(since=_since(business_date_current()))
    return line_suggestion(facts[dealer_id])


def line_open_for(dealer_id: int) -> FloorplanLine | None:
    return FloorplanLine.objects.filter(dealer_id=dealer_id, status__in=OPEN_STATUSES).first()


def line_use(line: FloorplanLine) -> dict:
    """Used, available and the percent used (whole, for the bar) of a line, from the use
    servicing records on it."""
    used = line.used_amount
    percent = int(min(used * 100 / line.limit, Decimal("100"))) if line.limit else 0
    available = max(line.limit - used, ZERO)
    return {"limit": line.limit, "used": used, "available": available, "percent": percent}


def lines_board() -> list[dict]:
    """Every dealer with its open line (or none) and the suggested limit, for the underwriters'
    page; active dealers without a line come after those with one."""
    facts = dealers_credit_facts(since=_since(business_date_current()))
    grades = {f["grade"] or UNGRADED for f in facts.values()}
    stock_months = {g: policy_value(f"origination.floorplan_stock_months.{g}") for g in grades}
    lines = {
        line.dealer_id: line
        for line in FloorplanLine.objects.filter(status__in=OPEN_STATUSES).select_related(
            "approved_by"
        )
    }
    rows = []
    for dealer_id, f in facts.items():
        line = lines.get(dealer_id)
        if line is None and f["status"] != "active":
            continue
        rows.append(
            {
                "dealer": f,
                "line": line,
                "use": line_use(line) if line is not None else None,
                "suggestion": line_suggestion(f, stock_months=stock_months),
            }
        )
    rows.sort(key=lambda r: (r["line"] is None, r["dealer"]["legal_name"]))
    return rows


ACTION_LABELS = {
    "floorplan_line_open": _("开立额度"),
    "floorplan_line_change": _("调整额度条件"),
    "floorplan_line_freeze": _("冻结"),
    "floorplan_line_unfreeze": _("解冻"),
    "floorplan_line_close": _("关闭"),
}


def line_history(line: FloorplanLine) -> list[dict]:
    """The line's audit rows, newest first (who opened, changed, froze, unfroze or closed it)."""
    ct = ContentType.objects.get_for_model(FloorplanLine)
    rows = AuditEntry.objects.filter(content_type=ct, object_id=str(line.pk)).order_by("-id")
    return [
        {
            "created_at": row.created_at,
            "actor_label": row.actor_label,
            "action_label": ACTION_LABELS.get(row.action, row.action),
            "reason": row.reason,
        }
        for row in rows[:50]
    ]
