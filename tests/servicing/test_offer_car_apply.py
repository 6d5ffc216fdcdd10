"""A next-car or upgrade offer taken up: the customer starts the ordinary car application from
the offer, which is accepted and linked to it (Offer.application_id) as the draft is made, so
the funnel and attribution see it; the application carries the pre-approval for risk's
re-check. Refusals change nothing (issue 21 seams)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.business_date import business_date_set
from autofin.roles import Role
from origination.models.applications import Application
from origination.seed.applications import intake_products_ensure
from servicing.models import Offer, OfferStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 2)


def _offer(customer, *, kind="next_car") -> Offer:
    return Offer.objects.create(
        customer=customer, kind=kind, limit_amount=Decimal("150000.00"),
        annual_rate=Decimal("0.055000"), max_term_months=60, expires_on=TODAY + dt.timedelta(days=30),
        decision={"kind": kind, "approved": True, "version": "preapproval-1"},
    )  # fmt: skip


def _car(version) -> dict:
    return {"product": version.pk, "vehicle_brand": "比亚迪", "vehicle_model": "汉 EV",
            "vehicle_kind": "new", "vehicle_use": "personal", "vehicle_price": "200000.00",
            "down_payment": "60000.00", "term_months": 36, "method": "equal_instalment"}  # fmt: skip


def test_starting_the_application_from_a_car_offer_accepts_and_links_it(client):
    business_date_set(actor="test", date=TODAY, reason="offers")
    version = intake_products_ensure(actor="test")["new"]
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13788882001")
    offer = _offer(customer)
    url = f"/my/offers/{offer.pk}/apply/"
    client.force_login(customer)
    assert f'href="{url}"' in client.get("/my/offers/").content.decode()

    page = client.get(url)
    assert page.status_code == 200 and f'action="{url}"' in page.content.decode()
    response = client.post(url, _car(version))

    app = Application.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == f"/apply/{app.reference}/applicant/"
    offer.refresh_from_db()
    assert (offer.status, offer.application_id) == (OfferStatus.ACCEPTED, app.pk)
    assert offer.accepted_at is not None
    assert app.preapproval["offer_id"] == offer.pk
    assert app.preapproval["decision"] == offer.decision
    # taken: the link leads to its application, no second one
    again = client.get(url)
    assert again.status_code == 302 and again.url == f"/my/applications/{app.reference}/"
    assert Application.objects.filter(customer=customer).count() == 1


def test_refusals_change_nothing(client):
    business_date_set(actor="test", date=TODAY, reason="offers")
    version = intake_products_ensure(actor="test")["new"]
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13788882002")
    other = UserFactory(roles=[Role.CUSTOMER], phone="13788882003")
    offer = _offer(customer)
    maintenance = _offer(customer, kind="maintenance")

    client.force_login(other)  # someone else's offer
    assert client.post(f"/my/offers/{offer.pk}/apply/", _car(version)).status_code == 404
    client.force_login(customer)  # a purpose offer is taken up on its own page
    assert client.get(f"/my/offers/{maintenance.pk}/apply/").status_code == 404
    business_date_set(actor="test", date=offer.expires_on + dt.timedelta(days=1), reason="late")
    page = client.post(f"/my/offers/{offer.pk}/apply/", _car(version))
    assert page.status_code == 400 and "该邀约已失效" in page.content.decode()

    offer.refresh_from_db()
    assert (offer.status, offer.application_id) == (OfferStatus.ACTIVE, None)
    assert not Application.objects.filter(customer__in=[customer, other]).exists()
