"""Step 11.7 — credit reporting out (征信报送): the first-negative notices (征信业管理条例 第15条),
the day's event records (openings with their collateral, closings, status changes), on the
month's last day the monthly record of every account (set-based, servicing.services.
credit_reporting.generate), then the pending records of unfrozen accounts are sent to the
credit reference center and its feedback written back. A re-run writes no record twice; a
center that does not answer leaves the records pending for the next night."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.credit_reporting.day import credit_reporting_day


@register(code="credit_reporting", label=_("征信报送"), position=117, chunked=False)
def credit_reporting_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - one chunk
    return credit_reporting_day(business_date=ctx.business_date)
