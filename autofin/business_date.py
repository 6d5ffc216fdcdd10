"""The business date: the day postings belong to, changed only by explicit calls (the nightly batch).

Logic never asks `date.today()`; it asks `business_date_current()` or, for a posting,
`business_date_for_posting()`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from autofin.audit import audit_record
from autofin.models import BusinessCalendar


class BusinessDateError(Exception):
    pass


def _calendar(*, lock: bool = False) -> BusinessCalendar:
    qs = BusinessCalendar.objects.all()
    if lock:
        qs = qs.select_for_update()
    cal = qs.filter(pk=1).first()
    if cal is None:
        # First use on a new database: start on today's date in Beijing; from here on the
        # date moves only through business_date_advance().
        cal, _ = BusinessCalendar.objects.get_or_create(
            pk=1, defaults={"current_date": timezone.localdate()}
        )
        if lock:
            cal = BusinessCalendar.objects.select_for_update().get(pk=1)
    return cal


def business_date_current() -> dt.date:
    return _calendar().current_date


def business_date_for_posting() -> dt.date:
    """The date a posting made now carries: the next day while the batch closes the current one."""
    cal = _calendar()
    return cal.current_date + dt.timedelta(days=1) if cal.closing else cal.current_date


def business_date_closing_start(*, actor, date: dt.date) -> BusinessCalendar:
    with transaction.atomic():
        cal = _calendar(lock=True)
        if cal.current_date != date:
            raise BusinessDateError(f"cannot close {date}: the business date is {cal.current_date}")
        if not cal.closing:
            cal.closing = True
            cal.save(update_fields=["closing", "updated_at"])
            audit_record(
                actor=actor, obj=cal, action="eod_start", from_state="open", to_state="closing"
            )
        return cal


def business_date_advance(*, actor, expected: dt.date, reason: str = "") -> dt.date:
    """Move the business date from `expected` to the next day; refuse if it is not `expected`.

    Passing the expected date makes a repeated or raced call fail loudly instead of skipping a day.
    """
    with transaction.atomic():
        cal = _calendar(lock=True)
        if cal.current_date != expected:
            raise BusinessDateError(
                f"business date is {cal.current_date}, not {expected}: refusing to advance"
            )
        new = expected + dt.timedelta(days=1)
        cal.current_date = new
        cal.closing = False
        cal.save(update_fields=["current_date", "closing", "updated_at"])
        audit_record(
            actor=actor,
            obj=cal,
            action="business_date_advance",
            from_state=expected.isoformat(),
            to_state=new.isoformat(),
            reason=reason,
        )
        return new


def business_date_set(*, actor, date: dt.date, reason: str) -> dt.date:
    """Set the date outright (new installation, demo data, tests): audited, never implicit."""
    with transaction.atomic():
        cal = _calendar(lock=True)
        old = cal.current_date
        cal.current_date = date
        cal.closing = False
        cal.save(update_fields=["current_date", "closing", "updated_at"])
        audit_record(
            actor=actor,
            obj=cal,
            action="business_date_set",
            from_state=old.isoformat(),
            to_state=date.isoformat(),
            reason=reason,
        )
        return date
