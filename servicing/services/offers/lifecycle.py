"""An offer's end: expired nightly (set-based), or declined by its customer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from servicing.models import Offer, OfferStatus


class OfferError(Exception):
    """The offer cannot do that now (the message is for the customer)."""


def offers_expire(*, business_date: dt.date) -> int:
    """Every live offer whose last day is before `business_date` expires (one statement, so a
    re-run of the night expires nothing twice). Returns the offers expired."""
    return Offer.objects.filter(status=OfferStatus.ACTIVE, expires_on__lt=business_date).update(
        status=OfferStatus.EXPIRED
    )


def offer_open_lock(*, offer: Offer, business_date: dt.date) -> Offer:
    """The offer locked, or OfferError when it is no longer open (taken, declined, expired —
    also one the nightly expiry has not reached yet)."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.status != OfferStatus.ACTIVE or locked.expires_on < business_date:
        raise OfferError(_("该邀约已失效。"))
    return locked


def offer_decline(*, offer: Offer, actor, business_date: dt.date) -> Offer:
    """The customer does not want it: declined (the batch leaves them be until it would have
    expired)."""
    with transaction.atomic():
        locked = offer_open_lock(offer=offer, business_date=business_date)
        locked.status = OfferStatus.DECLINED
        locked.save(update_fields=["status"])
        audit_record(actor=actor, obj=locked, action="offer_decline",
                     from_state=OfferStatus.ACTIVE, to_state=OfferStatus.DECLINED)  # fmt: skip
        return locked
