"""Step 118 — month-end OEM subsidy claims (厂商贴息索赔): on the month's last business date,
every OEM's draft claim for the month is made (or topped up) set-based from the subsidy periods
that fell due and were not yet claimed (servicing.services.oem.claims.oem_claims_generate).
Other nights, and a re-run of the night, write nothing. Sending a claim to the OEM is
finance's, from the claims page."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.oem.claims import oem_claims_generate


@register(code="oem_claims", label=_("月末厂商贴息索赔"), position=118, chunked=False)
def oem_claims_step(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    if (d + dt.timedelta(days=1)).month == d.month:
        return {"month_end": 0}
    result = oem_claims_generate(on=d, actor=ctx.actor)
    return {"month_end": 1, **result}
