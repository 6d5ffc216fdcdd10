"""Step — complaints and care (投诉与关怀), after the customer facts: complaints past an
acknowledge or resolve deadline escalate (care supervisors told), unanswered resolutions close,
the day's funded and settled loans get their satisfaction survey, unsent survey links are texted
and the care messages for tomorrow are queued — all inside contact hours, all re-run safe
(servicing.services.complaints). Not chunked: complaints and the day's events are few, and each
part is one statement over the book."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing.eod.registry import StepContext, register
from servicing.services.complaints.batch import complaints_autoclose, complaints_escalate
from servicing.services.complaints.care import care_messages_queue
from servicing.services.complaints.surveys import surveys_invite_loans, surveys_send


@register(code="complaints", label=_("投诉超时升级与客户关怀"), position=98, chunked=False)
def complaints_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - unchunked
    d = ctx.business_date
    return {
        "escalated": complaints_escalate(business_date=d),
        "auto_closed": complaints_autoclose(business_date=d),
        "surveys_invited": surveys_invite_loans(business_date=d),
        "surveys_sent": surveys_send(),
        "care_queued": care_messages_queue(business_date=d),
    }
