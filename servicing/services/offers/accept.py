"""Taking up a maintenance or insurance offer (保养分期, 续保分期): the customer picks the
registered payee (their service centre, or the insurer they choose freely), the amount of the
bill within the limit and a term; origination makes and submits the application (the car and
the applicant copied from the car's own application), risk decides it with the offer's
pre-approval re-checked on today's facts, and the contract, signing and funding follow as for
any loan — the bill paid to that payee only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.selectors.products import product_rules, purpose_product_version
from origination.services.applications.purchase import application_purchase_submit
from servicing.models import Offer, OfferKind, OfferStatus
from servicing.selectors.offers import offer_facts_many
from servicing.services.offers.lifecycle import OfferError, offer_open_lock

# the offers taken up on a purpose product here; a car offer goes to the ordinary application
PURPOSE_KINDS = (OfferKind.MAINTENANCE, OfferKind.INSURANCE_RENEWAL)


def offer_terms_allowed(offer: Offer) -> list[int]:
    """The terms the customer may pick: the product's, up to the offer's longest."""
    version = purpose_product_version(purpose=offer.kind)
    if version is None:
        return []
    return [t for t in product_rules(version=version).terms if t <= offer.max_term_months]


def offer_accept(*, offer: Offer, customer, payee_name: str, amount: Decimal, term_months: int,
                 key: str, business_date: dt.date) -> Offer:  # fmt: skip
    """The offer taken up: its application made and submitted (the decision queued as it
    commits), the offer marked accepted with the application's id. OfferError (the message is
    for the customer) or origination's ApplicationValidationError: nothing changed."""
    if offer.kind not in PURPOSE_KINDS:
        raise OfferError(_("该邀约请通过购车申请使用。"))
    if amount <= 0 or amount > offer.limit_amount:
        raise OfferError(_("金额须大于 0 且不超过预审批额度。"))
    if term_months not in offer_terms_allowed(offer):
        raise OfferError(_("请选择可用的分期期数。"))
    version = purpose_product_version(purpose=offer.kind)
    with transaction.atomic():
        locked = offer_open_lock(offer=offer, business_date=business_date)
        now = offer_facts_many([customer.pk]).get(customer.pk) or {}
        now.pop("loan_id", None)
        facts_now = {k: str(v) if isinstance(v, Decimal) else v for k, v in now.items()}
        application = application_purchase_submit(
            actor=customer,
            customer=customer,
            product_version=version,
            amount=amount,
            term_months=term_months,
            payee_name=payee_name,
            prior_application_id=locked.loan.application_id if locked.loan_id else None,
            preapproval={
                "offer_id": locked.pk,
                "decision": locked.decision,
                "facts_now": facts_now,
            },  # fmt: skip
            key=f"offer:{locked.pk}:{key}"[:100],
        )
        locked.status = OfferStatus.ACCEPTED
        locked.application_id = application.pk
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["status", "application_id", "accepted_at"])
        audit_record(actor=customer, obj=locked, action="offer_accept",
                     from_state=OfferStatus.ACTIVE, to_state=OfferStatus.ACCEPTED,
                     data={"application_id": application.pk, "amount": str(amount),
                           "term_months": term_months, "payee": payee_name})  # fmt: skip
        return locked
