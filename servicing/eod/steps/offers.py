"""Step — offers (预审批邀约): live offers past their last day expire (one UPDATE), then the
customers tonight's facts qualify are offered the next car and maintenance credit
(servicing.services.offers.issue: candidates picked in SQL from the same criteria risk decides
with, decided per customer, a transaction per chunk). After the customer facts (95), so offers
read tonight's figures. Catch-up safe: a re-run finds the customers it already offered."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.offers.issue import offers_issue_due
from servicing.services.offers.lifecycle import offers_expire


@register(code="offers", label=_("预审批邀约"), position=97, chunked=False)
def offers_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - unchunked
    expired = offers_expire(business_date=ctx.business_date)
    return {"expired": expired, "issued": offers_issue_due(business_date=ctx.business_date)}
