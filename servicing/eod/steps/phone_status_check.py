"""Step 11.2 — phone status (号码状态), monthly: on the month's last day every open loan's
borrower mobile not checked this month is asked of the phone adapter in batches
(servicing.services.collateral_checks.phone) and the answer (active / deactivated /
owner changed) stored on LoanExternalFacts. Other nights the step does nothing; a re-run
asks and writes nothing. The early-warning step reads the facts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.collateral_checks.phone import phone_status_month
from servicing.services.credit_reporting.day import is_month_end


@register(
    code="phone_status_check", label=_("月度号码状态核查"), position=112, runs_on=is_month_end
)
def phone_status_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    if not is_month_end(ctx.business_date):
        return {"month_end": 0}
    return phone_status_month(lo=lo, hi=hi, business_date=ctx.business_date)
