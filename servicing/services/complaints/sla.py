"""The complaint deadlines (银保监会令2020年第3号 and house policy; settings.COMPLAINT_SLA).

Acknowledge: by the end of the N-th working day after receipt (autofin.working_days). Resolve:
by the end of the N-th calendar day after receipt — 15, a complex case 30, at most 60."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from autofin.working_days import working_days_after


def _end_of(day: dt.date) -> dt.datetime:
    # the last instant of the day, so pages show the deadline's own date (23:59), not the next
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def acknowledge_due(received_at: dt.datetime) -> dt.datetime:
    day = timezone.localtime(received_at).date()
    return _end_of(working_days_after(day, settings.COMPLAINT_SLA["ack_working_days"]))


def resolve_due(received_at: dt.datetime, days: int | None = None) -> dt.datetime:
    day = timezone.localtime(received_at).date()
    return _end_of(day + dt.timedelta(days=days or settings.COMPLAINT_SLA["resolve_days"]))
