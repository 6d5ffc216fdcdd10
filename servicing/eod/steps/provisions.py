"""Step 12 — month-end provisions (减值准备): on the last day of a month, the expected credit
loss of every open loan is computed set-based (servicing.services.provisions.compute) on the
book as this night left it. Posting it to the ledger is finance's, maker-checked, from the
provision page. Other nights the step does nothing. A refusal (the scenario weights do not add
up, a later month already posted) is reported on the step and does not hold the date."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.parameters import ProvisionError


@register(code="provisions", label=_("月末减值准备计算"), position=115, chunked=False)
def provisions_step(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    if (d + dt.timedelta(days=1)).month == d.month:
        return {"month_end": 0}
    try:
        run = provision_run_compute(as_of=d, actor=ctx.actor)
    except ProvisionError as exc:
        return {"month_end": 1, "refused": str(exc)}
    return {"month_end": 1, "loans": run.loans}
