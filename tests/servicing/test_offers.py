"""Pre-approved offers (issue 21): issued from risk's pre-approval on the customer's facts,
replacing the live one of a kind; the nightly step expires and issues (catch-up safe); the
customer's page shows limit, rate, a monthly example and expiry; decline is the owner's only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from autofin.business_date import business_date_set
from autofin.models import AuditEntry
from autofin.policy import policy_set
from autofin.pricing import build_schedule
from autofin.roles import Role
from servicing.eod.steps.offers import offers_step
from servicing.models import CustomerFact, Offer, OfferStatus
from servicing.services.customer_facts import customer_facts_refresh
from servicing.services.offers.issue import offer_issue
from servicing.services.offers.lifecycle import offers_expire
from tests.factories import UserFactory
from tests.servicing.loan_factory import VALUE_DATE, loan_through_funding
from tests.servicing.offer_support import maintenance_product

pytestmark = pytest.mark.django_db
TODAY = VALUE_DATE + dt.timedelta(days=40)


@pytest.fixture(autouse=True)
def _maintenance_on_sale(request):
    """The maintenance product (as the demo seeds it): a maintenance offer is priced by it."""
    if "no_product" not in request.node.name:
        maintenance_product()


def _seasoned(customer, *, instalments=14, dpd=0, max_dpd=0, active=1, months=8):
    """The customer-facts row the nightly refresh would have written for such a customer."""
    return CustomerFact.objects.create(
        customer=customer, computed_on=TODAY, loans_active=active, instalments_paid=instalments,
        current_dpd=dpd, max_dpd_ever=max_dpd, months_to_maturity=months,
    )  # fmt: skip


def _no_minimum_history():
    policy_set(key="risk.preapproval.min_instalments_paid", value="0",
               effective_from=dt.date(2026, 1, 1), actor="test", reason="new book")  # fmt: skip


def test_offer_issue_from_a_funded_loan_stores_the_decision_and_replaces_the_live_offer():
    _no_minimum_history()
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13766660001")
    loan = loan_through_funding(customer=customer, amount="80000.00", term=12)
    customer_facts_refresh(business_date=TODAY)

    first = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    second = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    car = offer_issue(customer=customer, kind="next_car", business_date=TODAY)

    first.refresh_from_db()
    assert first.status == OfferStatus.WITHDRAWN and second.status == OfferStatus.ACTIVE
    assert second.loan_id == loan.pk
    assert (second.limit_amount, second.annual_rate, second.max_term_months) == (
        Decimal("30000.00"), Decimal("0.080000"), 12)  # fmt: skip
    assert second.expires_on == TODAY + dt.timedelta(days=30)
    assert second.decision["facts"]["loans_active"] == 1
    assert second.decision["thresholds"]["SEASONED"] == 0
    # the next car: up to the car we financed, the loan matures within a year
    assert car.limit_amount == Decimal("80000.00")
    assert AuditEntry.objects.filter(action="offer_issue", object_id=str(second.pk)).exists()


def test_a_declined_pre_approval_issues_nothing_and_keeps_the_live_offer():
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13766660002")
    facts = _seasoned(customer)
    live = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    facts.current_dpd = 3
    facts.save()

    assert offer_issue(customer=customer, kind="maintenance", business_date=TODAY) is None
    assert list(Offer.objects.filter(customer=customer).values_list("pk", "status")) == [
        (live.pk, "active")]  # fmt: skip


def test_the_nightly_step_expires_then_issues_once_to_the_qualifying_customers():
    good = [UserFactory(roles=[Role.CUSTOMER]) for _ in range(3)]
    for c in good:
        _seasoned(c)
    late = UserFactory(roles=[Role.CUSTOMER])
    _seasoned(late, dpd=5)
    fresh = UserFactory(roles=[Role.CUSTOMER])
    _seasoned(fresh, instalments=2)
    old = Offer.objects.create(customer=good[0], kind="upgrade", limit_amount=Decimal("1000.00"),
                               annual_rate=Decimal("0.05"), max_term_months=12,
                               expires_on=TODAY - dt.timedelta(days=1))  # fmt: skip

    class Ctx:
        business_date = TODAY

    result = offers_step(Ctx, 0, 0)
    again = offers_step(Ctx, 0, 0)

    old.refresh_from_db()
    assert old.status == OfferStatus.EXPIRED
    # maintenance to the three; the next car needs a car we financed (no loans here: no limit)
    assert result == {"expired": 1, "issued": {"next_car": 0, "maintenance": 3}}
    assert again == {"expired": 0, "issued": {"next_car": 0, "maintenance": 0}}
    assert set(Offer.objects.filter(kind="maintenance").values_list("customer_id", flat=True)) == {
        c.pk for c in good}  # fmt: skip
    # each offer written in the chunk's set-based insert has its audit row, as one issued alone
    issued = Offer.objects.filter(kind="maintenance")
    audits = AuditEntry.objects.filter(
        action="offer_issue", object_id__in=[str(o.pk) for o in issued]
    )
    assert sorted((a.object_id, a.actor_label, a.to_state, a.data) for a in audits) == sorted(
        (str(o.pk), "eod", "active", {"withdrawn": [], "version": o.decision["version"]})
        for o in issued
    )


def test_expiry_leaves_the_last_day_open():
    customer = UserFactory(roles=[Role.CUSTOMER])
    _seasoned(customer)
    offer = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    assert offers_expire(business_date=offer.expires_on) == 0
    assert offers_expire(business_date=offer.expires_on + dt.timedelta(days=1)) == 1


def test_my_offers_page_shows_terms_and_the_monthly_example(client):
    customer = UserFactory(roles=[Role.CUSTOMER])
    _seasoned(customer)
    offer = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    business_date_set(actor="test", date=TODAY, reason="offers page")
    client.force_login(customer)

    page = client.get(reverse("servicing:my_offers")).content.decode()

    monthly = build_schedule(amount_financed=Decimal("30000.00"), annual_rate=Decimal("0.08"),
                             term_months=12, method="equal_instalment", value_date=TODAY,
                             day_count="30/360").rows[0].instalment  # fmt: skip
    assert "保养分期" in page and "¥30,000.00" in page and "8.00%" in page
    assert f"¥{monthly:,}" in page
    assert offer.expires_on.isoformat() in page
    assert "maintenance" not in page.replace('data-kind="maintenance"', "")
    loans = client.get(reverse("servicing:my_loans")).content.decode()
    assert reverse("servicing:my_offers") in loans


def test_decline_is_the_owners_only_and_a_closed_offer_stays_closed(client):
    owner, other = UserFactory(roles=[Role.CUSTOMER]), UserFactory(roles=[Role.CUSTOMER])
    _seasoned(owner)
    offer = offer_issue(customer=owner, kind="maintenance", business_date=TODAY)
    business_date_set(actor="test", date=TODAY, reason="offers page")
    url = reverse("servicing:my_offer_decline", args=[offer.pk])

    client.force_login(other)
    assert client.post(url).status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE

    client.force_login(owner)
    assert client.post(url).status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    client.post(url)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert "¥30,000.00" not in client.get(reverse("servicing:my_offers")).content.decode()


def test_no_maintenance_offer_without_a_maintenance_product_on_sale_no_product():
    customer = UserFactory(roles=[Role.CUSTOMER])
    _seasoned(customer)
    assert offer_issue(customer=customer, kind="maintenance", business_date=TODAY) is None
    assert not Offer.objects.filter(customer=customer).exists()
