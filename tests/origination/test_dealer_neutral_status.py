"""A dealer cannot tell a referral from an ordinary review anywhere: the portal says 审核中 and so
does every value a dealer reads (the API's ``status`` and timeline, the list's filter, the
pipeline's data attribute, the salesperson's e-mail). The customer and the back office keep
``referred``."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from autofin.models import OutboundMessage
from origination.models.applications import Application
from origination.services.applications.start import application_start
from tests.origination.intake_support import new_car
from tests.origination.workbench_support import make_referred

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _review(products, dealer, salesperson):
    """A dealer application under an ordinary review, to compare with the referred one."""
    app = application_start(
        actor=salesperson,
        channel="dealer",
        product_version=products["new"],
        vehicle=new_car(vehicle_model="汉 DM-i"),
        customer_name="李四",
        customer_mobile="13900002222",
        dealer=dealer,
        salesperson=salesperson,
    )
    Application.objects.filter(pk=app.pk).update(status="under_review", submitted_at=timezone.now())
    return app


def test_the_api_gives_the_dealer_a_referral_as_a_review(
    products, dealer, salesperson, underwriter
):
    app = make_referred(products=products, dealer=dealer, salesperson=salesperson, by_engine=True)
    assert Application.objects.get(pk=app.pk).status == "referred"
    api = _api(salesperson)

    status = api.get(f"/api/v1/applications/{app.reference}/status/").json()
    assert status["status"] == "under_review"
    steps = [
        (e["from_status"], e["to_status"]) for e in status["timeline"] if e["kind"] == "status"
    ]
    assert steps[-1] == ("submitted", "under_review")  # the review turned referral is no step
    assert "referred" not in str(status)
    assert api.get(f"/api/v1/applications/{app.reference}/").json()["status"] == "under_review"
    listed = api.get("/api/v1/applications/").json()["results"]
    assert [a["status"] for a in listed if a["reference"] == app.reference] == ["under_review"]

    # the back office (and the customer: test_no_internal_codes) still reads the referral
    office = _api(underwriter)
    assert office.get(f"/api/v1/applications/{app.reference}/").json()["status"] == "referred"
    timeline = office.get(f"/api/v1/applications/{app.reference}/status/").json()["timeline"]
    assert timeline[-1]["to_status"] == "referred"


def test_the_salesperson_is_not_mailed_a_referral_the_customer_is_texted(
    products, dealer, salesperson
):
    app = make_referred(products=products, dealer=dealer, salesperson=salesperson, by_engine=True)
    sent = OutboundMessage.objects.filter(purpose="application_refer")
    assert list(sent.values_list("channel", flat=True)) == ["sms"]
    assert not sent.filter(to=salesperson.email).exists()
    assert app.reference in sent.get().body


def test_the_portal_neither_filters_nor_marks_a_referral(products, dealer, salesperson, client):
    referred = make_referred(products=products, dealer=dealer, salesperson=salesperson)
    review = _review(products, dealer, salesperson)
    client.force_login(salesperson)

    # ?status=referred reads as 审核中: both, so the answer tells nothing
    by_value = client.get("/dealer/applications/?status=referred").content.decode()
    as_review = client.get("/dealer/applications/?status=under_review").content.decode()
    for page in (by_value, as_review):
        assert referred.reference in page and review.reference in page
    Application.objects.filter(pk=review.pk).update(status="draft")
    pipeline = client.get("/dealer/pipeline/").content.decode()
    assert referred.reference in pipeline and 'data-status="referred"' not in pipeline
    assert 'data-status="under_review"' in pipeline
