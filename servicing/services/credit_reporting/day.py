"""One business date of credit reporting, as the nightly step runs it (servicing.eod.steps.
credit_reporting): first-negative notices, held records released once told, the day's event
records, on the month's last day the monthly records of the whole book, then submission."""

from __future__ import annotations

import datetime as dt

from servicing.models.credit_reporting import CreditReportBatchKind
from servicing.services.credit_reporting.adapters import CreditReportingError
from servicing.services.credit_reporting.generate import (
    event_records,
    held_release,
    month_end_records,
    negative_notices_queue,
)
from servicing.services.credit_reporting.submit import batch_for, records_submit


def is_month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def credit_reporting_day(*, business_date: dt.date, submit: bool = True) -> dict:
    d = business_date
    result = {
        "notices": negative_notices_queue(business_date=d),
        "released": held_release(),
        "events": event_records(
            batch_id=batch_for(kind=CreditReportBatchKind.EVENT, business_date=d).pk,
            business_date=d,
        ),
        "monthly": 0,
    }
    if is_month_end(d):
        batch = batch_for(kind=CreditReportBatchKind.MONTHLY, business_date=d)
        result["monthly"] = month_end_records(batch_id=batch.pk, business_date=d)
    if submit:
        try:
            result |= records_submit()
        except CreditReportingError as exc:
            # the records stay pending and go with the next night's submission
            result["submit_error"] = str(exc)
    return result
