"""The customer's pre-approved offers (`/my/offers/`): each open offer with its limit, rate,
a monthly payment example and its last day; taking it up (the kind's own flow) or declining it.
Thin: the selector orders, the services decide."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_for_posting
from autofin.pricing import build_schedule
from servicing.models import OfferKind
from servicing.selectors.offers import offer_of_customer, offers_for_customer
from servicing.services.offers.lifecycle import OfferError, offer_decline

# the vehicle offers are taken up through the ordinary application for a car
VEHICLE_KINDS = (OfferKind.NEXT_CAR, OfferKind.UPGRADE)


def _monthly_example(offer, today) -> Decimal:
    """The level instalment of the whole limit over the longest term (the pricing engine's, so it
    is the figure a contract for it would carry)."""
    schedule = build_schedule(
        amount_financed=offer.limit_amount,
        annual_rate=offer.annual_rate,
        term_months=offer.max_term_months,
        method="equal_instalment",
        value_date=today,
        day_count="30/360",
    )
    return schedule.rows[0].instalment


@login_required
def my_offers(request):
    today = business_date_for_posting()
    offers = [
        {"offer": o, "monthly": _monthly_example(o, today), "vehicle": o.kind in VEHICLE_KINDS}
        for o in offers_for_customer(request.user).filter(expires_on__gte=today)
    ]
    return render(request, "servicing/my_offers.html", {"offers": offers})


def _own_offer_or_404(request, offer_id: int):
    offer = offer_of_customer(request.user, offer_id)
    if offer is None:
        raise Http404
    return offer


@login_required
@require_POST
def my_offer_decline(request, offer_id: int):
    offer = _own_offer_or_404(request, offer_id)
    try:
        offer_decline(offer=offer, actor=request.user, business_date=business_date_for_posting())
    except OfferError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已为您关闭该邀约。"))
    return redirect("servicing:my_offers")
