"""Step — customer facts (客户特征): every customer's facts as of the business day, one upsert
(servicing.services.customer_facts), after the day's delinquency and payments so segments,
offers and the next-best-offer model read tonight's figures. Not chunked: one statement over
the book is faster than per-range upserts, and it writes one row per customer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.customer_facts import customer_facts_refresh


@register(code="customer_facts", label=_("客户特征计算"), position=95, chunked=False)
def customer_facts_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - unchunked
    return {"customers": customer_facts_refresh(business_date=ctx.business_date)}
