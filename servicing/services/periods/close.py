"""Closing an accounting period. The checklist (servicing.selectors.periods) must pass; then the
period's row turns "closed" and from that commit on the database refuses every journal entry
dated in it (migration 0018). A closed period is never reopened: the database refuses to change
its row, and corrections go to the next open period (`adjustment`).

The checklist is read before the close takes its lock: its one slow item, the trial balance,
cannot be upset by an entry committed meanwhile, since the database lets only balanced entries
in. The lock is the advisory lock every journal-entry INSERT shares (its trigger takes it): the
close waits for the postings in flight to commit, and a posting that starts meanwhile waits for
the close and then sees the period closed, so no entry slips into a period after it closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from autofin.business_date import business_date_current
from servicing.models.periods import AccountingPeriod, PeriodStatus
from servicing.selectors.periods import month_start, period_checklist

PERIOD_CLOSE = "period_close"
# The same key as the trigger's pg_advisory_xact_lock_shared (migration 0018).
PERIOD_LOCK_KEY = 7172650001


class PeriodError(Exception):
    """A close or an adjustment refused, with a message for the person; nothing was written."""


def period_close_check(month: dt.date) -> None:
    """Refuse a month that may not close now: not a month start, not over, already closed, or
    with a checklist item failing (named in the message)."""
    if month != month_start(month):
        raise PeriodError(_("会计期间必须是某月的第一天。"))
    if month_start(business_date_current()) <= month:
        raise PeriodError(_("当月尚未结束，不能结账。"))
    if AccountingPeriod.objects.filter(month=month, status=PeriodStatus.CLOSED).exists():
        raise PeriodError(_("该期间已结账；已结账的期间不能重新打开。"))
    failing = [item.label for item in period_checklist(month) if not item.passed]
    if failing:
        raise PeriodError(
            _("结账检查未通过：%(items)s。") % {"items": "；".join(str(f) for f in failing)}
        )


def period_close(*, month: dt.date, actor: Any) -> AccountingPeriod:
    """Close `month` (its first day). Raises PeriodError with nothing changed."""
    four_eyes_gate(PERIOD_CLOSE)
    period_close_check(month)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PERIOD_LOCK_KEY])
        period, _created = AccountingPeriod.objects.select_for_update().get_or_create(month=month)
        if period.status == PeriodStatus.CLOSED:
            raise PeriodError(_("该期间已结账；已结账的期间不能重新打开。"))
        before = period.status
        user = actor if getattr(actor, "pk", None) else None
        period.status = PeriodStatus.CLOSED
        period.closed_by = user
        period.closed_at = timezone.now()
        period.save(update_fields=["status", "closed_by", "closed_at"])
        audit_record(
            actor=actor,
            obj=period,
            action="period_close",
            from_state=before,
            to_state=PeriodStatus.CLOSED,
        )
    return period
