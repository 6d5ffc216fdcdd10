"""Step — insurance renewal quotes (续保询价): every active policy ending within
INSURANCE_RENEWAL_DAYS with no answer yet is quoted by the insurers (servicing.services.insurance.
renewals), chosen in one query and asked in batches; a refusal or a timeout is recorded and the
batch goes on. Catch-up safe: a policy answered on an earlier night is not asked again, one the
rail did not answer is asked again. Not chunked: the selection is one query over the policies."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.insurance.renewals import renewal_quotes_fetch


@register(code="insurance_renewals", label=_("续保询价"), position=99, chunked=False)
def insurance_renewals_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - unchunked
    return renewal_quotes_fetch(business_date=ctx.business_date)
