"""Step — segments (客群计算): after the customer facts (95), the responses of running campaigns
are attributed (servicing.services.marketing.attribution) and every segment is recomputed from
tonight's facts (servicing.services.marketing.segments), each with one DELETE and one
INSERT … SELECT. Catch-up safe: both are functions of the business day's facts and rows, so a
re-run writes the same members and figures. Not chunked: one statement per segment."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.marketing.attribution import attribution_refresh
from servicing.services.marketing.segments import segments_compute_all


@register(code="segments", label=_("客群计算与营销归因"), position=96, chunked=False)
def segments_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - unchunked
    # the end of the business day: responses up to then count, windows closed by then finish
    day_end = timezone.make_aware(dt.datetime.combine(ctx.next_date, dt.time.min))
    result = attribution_refresh(now=day_end)
    segments = segments_compute_all(today=ctx.business_date)
    result["segments"] = len(segments["computed"])
    # a segment whose rules no longer compile is reported on its page, not a failed night
    result["segment_failures"] = len(segments["failed"])
    return result
