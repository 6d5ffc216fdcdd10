"""The demo book's credit reporting (征信报送): last month's feed generated and sent to the sandbox
center, as the nightly step would have on the month's last day, so the page shows a month."""

from __future__ import annotations

import datetime as dt

from autofin.business_date import business_date_current
from servicing.services.credit_reporting.day import credit_reporting_day


def credit_reporting_seed(*, stdout, context: dict) -> None:  # noqa: ARG001 - the seed signature
    month_end = business_date_current().replace(day=1) - dt.timedelta(days=1)
    done = credit_reporting_day(business_date=month_end)
    stdout.write(
        f"  credit reporting {month_end:%Y-%m}: {done['monthly']} monthly records, "
        f"{done.get('accepted', 0)} accepted, {done.get('rejected', 0)} rejected\n"
    )
