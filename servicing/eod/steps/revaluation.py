"""Step 11.4 — revaluation (车辆重估), monthly, before the provision run: on the month's last
day the valuation adapter's price index of the month is stored once (prepare), then every open
loan's car is valued and its current LTV computed in one statement per chunk
(servicing.services.collateral_checks.revaluation); the provision run's LGD reads the current
LTV. Other nights the step does nothing; a re-run writes nothing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.collateral_checks.revaluation import price_index_load, revalue_range
from servicing.services.credit_reporting.day import is_month_end


def revaluation_prepare(ctx: StepContext) -> dict:
    if not is_month_end(ctx.business_date):
        return {"month_end": 0}
    return {"index_rows": price_index_load(month=ctx.business_date.replace(day=1))}


@register(
    code="revaluation",
    label=_("月度车辆重估"),
    position=114,
    prepare=revaluation_prepare,
    runs_on=is_month_end,
)
def revaluation_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    if not is_month_end(ctx.business_date):
        return {"month_end": 0}
    return revalue_range(lo=lo, hi=hi, business_date=ctx.business_date)
