"""Taking up a maintenance or insurance offer (保养分期, 续保分期): the customer picks the
registered payee (their service centre, or the insurer they choose freely), the amount of the
bill within the limit and a term; origination makes and submits the application (the car and
the applicant copied from the car's own application), risk decides it with the offer's
pre-approval re-checked on today's facts, and the contract, signing and funding follow as for
any loan — the bill paid to that payee only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.selectors.products import product_rules, purpose_product_version
from origination.services.applications.purchase import application_purchase_submit
from origination.services.applications.start import application_start
from servicing.models import Offer, OfferKind, OfferStatus
from servicing.selectors.offers import offer_facts_many
from servicing.services.offers.lifecycle import OfferError, offer_open_lock

if TYPE_CHECKING:
    from origination.models.applications import Application

# the offers taken up on a purpose product here; a car offer goes to the ordinary application
PURPOSE_KINDS = (OfferKind.MAINTENANCE, OfferKind.INSURANCE_RENEWAL)
# the car offers: taken up by starting the ordinary application from the offer
VEHICLE_KINDS = (OfferKind.NEXT_CAR, OfferKind.UPGRADE)


def offer_terms_allowed(offer: Offer) -> list[int]:
    """The terms the customer may pick: the product's, up to the offer's longest."""
    version = purpose_product_version(purpose=offer.kind)
    if version is None:
        return []
    return [t for t in product_rules(version=version).terms if t <= offer.max_term_months]


def _preapproval(offer: Offer, customer) -> dict:
    """What the application carries for risk's re-check: the offer's stored decision and the
    customer's facts today."""
    now = offer_facts_many([customer.pk]).get(customer.pk) or {}
    now.pop("loan_id", None)
    facts_now = {k: str(v) if isinstance(v, Decimal) else v for k, v in now.items()}
    return {"offer_id": offer.pk, "decision": offer.decision, "facts_now": facts_now}


def _accepted(locked: Offer, *, customer, application_id: int, data: dict) -> Offer:
    locked.status = OfferStatus.ACCEPTED
    locked.application_id = application_id
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["status", "application_id", "accepted_at"])
    audit_record(actor=customer, obj=locked, action="offer_accept",
                 from_state=OfferStatus.ACTIVE, to_state=OfferStatus.ACCEPTED,
                 data={"application_id": application_id, **data})  # fmt: skip
    return locked


def offer_apply_start(*, offer: Offer, customer, product_version, vehicle: dict,
                      business_date: dt.date) -> Application:  # fmt: skip
    """A car offer taken up: the customer's application started from it (step 1, the ordinary
    intake) carrying the pre-approval, the offer accepted and linked to it in the same
    transaction (the funnel and attribution follow the application). OfferError or
    origination's ApplicationValidationError: nothing changed."""
    if offer.kind not in VEHICLE_KINDS:
        raise OfferError(_("该邀约请在邀约页面直接使用。"))
    with transaction.atomic():
        locked = offer_open_lock(offer=offer, business_date=business_date)
        application = application_start(
            actor=customer, channel="direct", product_version=product_version, vehicle=vehicle,
            customer=customer, preapproval=_preapproval(locked, customer),
        )  # fmt: skip
        _accepted(locked, customer=customer, application_id=application.pk, data={})
        return application


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
        application = application_purchase_submit(
            actor=customer,
            customer=customer,
            product_version=version,
            amount=amount,
            term_months=term_months,
            payee_name=payee_name,
            prior_application_id=locked.loan.application_id if locked.loan_id else None,
            preapproval=_preapproval(locked, customer),
            key=f"offer:{locked.pk}:{key}"[:100],
        )
        return _accepted(locked, customer=customer, application_id=application.pk,
                         data={"amount": str(amount), "term_months": term_months,
                               "payee": payee_name})  # fmt: skip
