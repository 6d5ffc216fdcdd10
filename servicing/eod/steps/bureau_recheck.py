"""Step 11.3 — bureau re-check (征信复查), monthly: on the month's last day a sample of the
open book and every loan at early-warning level high, not re-checked this month, are asked of
the bureau on the borrower's consent (servicing.services.collateral_checks.bureau); whether
the file deteriorated is stored on LoanExternalFacts. Other nights the step does nothing; a
re-run asks and writes nothing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.collateral_checks.bureau import bureau_recheck_month
from servicing.services.credit_reporting.day import is_month_end


@register(code="bureau_recheck", label=_("月度征信复查"), position=113, runs_on=is_month_end)
def bureau_recheck_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    if not is_month_end(ctx.business_date):
        return {"month_end": 0}
    return bureau_recheck_month(lo=lo, hi=hi, business_date=ctx.business_date)
