"""Step 10.7 — anti-money-laundering transaction monitoring (反洗钱交易监测).

The money received on D (repayments and prepayments, posted and not reversed) is checked
against the dated large-value table — cash ≥ ¥50,000; natural-person transfers ≥ ¥500,000,
cross-border ≥ ¥200,000; single or same-day cumulative per customer — and for suspicious
patterns: structuring just under a threshold, early settlement soon after funding, a third
party's account paying, many small manual postings. Each finding is an alert in the
compliance queue; large-value reports are due 5 working days after D. A re-run adds nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.aml.monitoring import aml_monitor_day


@register(code="aml_monitoring", label=_("反洗钱交易监测"), position=107, chunked=False)
def aml_monitoring_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - one chunk
    return aml_monitor_day(business_date=ctx.business_date)
