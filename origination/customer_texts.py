"""What a customer or a dealer is told about where an application stands: one plain,
non-revealing line per kind of outcome, kept here and nowhere else.

Risk owns the rule and fraud codes, scores and tiers; they stay in the back office (the
workbench, the audit trail, the event's ``reason``). Telling a customer which check fired
teaches a fraud ring how to pass it, so every customer and dealer page, message and API answer
says one of these lines instead.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from origination.models.applications import ApplicationStatus as S

# reason kind -> what the customer reads
CUSTOMER_REASONS = {
    "verify": _("需要进一步核实您提交的资料，审核人员会尽快处理。"),
    "documents": _("需要您补充资料，请按页面提示上传。"),
    "declined": _("经综合评估，本次申请暂未获批准。"),
    "counter_offer": _("经综合评估，我们为您调整了方案，请查看并答复。"),
    "approved": _("申请已获批准。"),
    "withdrawn": _("申请已撤回。"),
    "cancelled": _("申请已取消。"),
}

# under a counter-offer the decision engine made: rendered in the reader's language, never
# stored (an underwriter's own note is theirs and shows as they wrote it)
AUTOMATED_COUNTER_OFFER_NOTE = _("系统根据您的还款能力调整了方案")

# an application status -> the reason kind the customer is told under it (none: no line)
STATUS_REASON_KIND = {
    S.REFERRED: "verify",
    S.DOCUMENTS_REQUESTED: "documents",
    S.DECLINED: "declined",
    S.COUNTER_OFFERED: "counter_offer",
    S.APPROVED: "approved",
    S.WITHDRAWN: "withdrawn",
    S.CANCELLED: "cancelled",
}

# what a dealer's salesperson sees as an application's status: neutral while people decide
DEALER_STATUS_LABELS = {
    S.UNDER_REVIEW: _("审核中"),
    S.REFERRED: _("审核中"),
}


# the status value a dealer reads where a page names it by value (the API, a filter, a data
# attribute): the label above hides a referral, so must the value it stands for
DEALER_STATUS_VALUES = {S.REFERRED: S.UNDER_REVIEW}


def dealer_status(status: str) -> str:
    """An application's status value as a dealer may read it (a referral reads as a review)."""
    return DEALER_STATUS_VALUES.get(status, status)


def customer_reason(kind: str) -> str:
    """The plain line for one reason kind ('' for an unknown kind: never the kind itself)."""
    text = CUSTOMER_REASONS.get(kind)
    return str(text) if text is not None else ""


def status_note(status: str, *, for_dealer: bool = False) -> str:
    """The plain line a customer reads under a status in the timeline. A dealer reads none
    under a status its label keeps neutral (审核中): the customer's line would tell a referral
    from a review, which the label hides."""
    if for_dealer and status in DEALER_STATUS_LABELS:
        return ""
    return customer_reason(STATUS_REASON_KIND.get(status, ""))


def dealer_status_label(status: str) -> str:
    """An application's status as the dealer portal names it."""
    label = DEALER_STATUS_LABELS.get(status)
    return str(label) if label is not None else str(dict(S.choices).get(status, ""))


def counter_offer_note(offer) -> str:
    """The line under a counter-offer on the customer's page: the system's plain line for an
    automated offer (made by nobody), the underwriter's note for theirs."""
    return offer.note if offer.created_by_id else str(AUTOMATED_COUNTER_OFFER_NOTE)
