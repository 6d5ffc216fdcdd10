"""A returning customer's new application comes with their verified data prefilled (issue 21
§1): from their latest approved or funded application's primary applicant, to confirm in one
click (or edit); nobody else's data, and nothing for a customer without such an application."""

from __future__ import annotations

import pytest
from django.urls import reverse

from autofin.crypto import decrypt, keyed_hash
from autofin.roles import Role
from origination.models.applications import Applicant
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.returning import returning_applicant_prefill
from origination.services.applications.start import application_start
from origination.services.applications.withdrawal import application_withdraw
from tests.factories import UserFactory
from tests.origination.intake_support import new_car, next_phone, primary_data
from tests.servicing.loan_factory import loan_through_funding

pytestmark = pytest.mark.django_db(transaction=False)

NOTICE = "以下信息来自您上次的申请，请核对"


@pytest.fixture
def returning(products):
    """A customer whose first application was funded (the production way)."""
    customer = UserFactory(roles=[Role.CUSTOMER], phone=next_phone(), display_name="赵一鸣")
    loan = loan_through_funding(customer=customer, amount="60000.00", term=12)
    first = Applicant.objects.get(application_id=loan.application_id, role="primary")
    return customer, first


def _draft(customer, products):
    return application_start(
        actor=customer,
        channel="direct",
        product_version=products["new"],
        vehicle=new_car(),
        customer=customer,
    )


def test_the_new_draft_is_prefilled_from_the_funded_application(returning, products):
    customer, first = returning
    draft = _draft(customer, products)

    prefill = returning_applicant_prefill(draft)

    assert prefill["name"] == first.name == "赵一鸣"
    assert prefill["id_number"] == decrypt(first.id_number_enc)
    assert prefill["mobile"] == customer.phone
    assert prefill["birth_date"] == first.birth_date
    for field in ("address", "employment_kind", "employer", "employment_years", "housing"):
        assert prefill[field] == getattr(first, field), field
    assert prefill["monthly_income"] == first.monthly_income
    # a new loan's repayment card is verified afresh: it is not carried over
    assert "bank_account" not in prefill


def test_the_page_shows_the_prefill_and_one_click_confirms_it(client, returning, products):
    customer, first = returning
    draft = _draft(customer, products)
    client.force_login(customer)
    url = reverse("origination:apply_step", args=[draft.reference, "applicant"])

    page = client.get(url).content.decode()
    assert NOTICE in page
    assert f'value="{decrypt(first.id_number_enc)}"' in page
    assert f'value="{first.employer}"' in page

    data = {k: v for k, v in returning_applicant_prefill(draft).items() if v is not None}
    data.pop("birth_date")  # the form reads it from the ID number
    response = client.post(url, {**data, "confirm_prefill": "1"})

    assert response.status_code == 302
    saved = Applicant.objects.get(application=draft, role="primary")
    assert saved.id_number_hash == first.id_number_hash
    assert saved.mobile_hash == keyed_hash(customer.phone)
    assert saved.monthly_income == first.monthly_income
    # once saved, the page shows their own answers (no notice any more)
    assert NOTICE not in client.get(url).content.decode()


def test_the_customer_may_still_edit_the_prefilled_values(client, returning, products):
    customer, _first = returning
    draft = _draft(customer, products)
    client.force_login(customer)
    url = reverse("origination:apply_step", args=[draft.reference, "applicant"])
    data = {k: v for k, v in returning_applicant_prefill(draft).items() if v is not None}
    data.pop("birth_date")
    response = client.post(
        url, {**data, "employer": "杭州新公司有限公司", "monthly_income": "32000"}
    )
    assert response.status_code == 302
    saved = Applicant.objects.get(application=draft, role="primary")
    assert (saved.employer, str(saved.monthly_income)) == ("杭州新公司有限公司", "32000.00")


def test_a_customer_without_history_gets_an_empty_form(client, customer, products):
    draft = _draft(customer, products)
    assert returning_applicant_prefill(draft) == {}
    client.force_login(customer)
    page = client.get(reverse("origination:apply_step", args=[draft.reference, "applicant"]))
    body = page.content.decode()
    assert NOTICE not in body
    assert 'name="id_number"' in body and 'name="id_number" value=' not in body


def test_an_unverified_application_prefills_nothing(customer, products):
    # a draft (or a declined application) holds only what was typed: not a source
    earlier = _draft(customer, products)
    application_applicants_save(
        actor=customer, application=earlier, primary=primary_data(mobile=customer.phone)
    )
    earlier.refresh_from_db()
    application_withdraw(actor=customer, application=earlier)
    later = application_start(
        actor=customer,
        channel="direct",
        product_version=products["new"],
        vehicle=new_car(vehicle_model="秦 PLUS"),
        customer=customer,
    )
    assert returning_applicant_prefill(later) == {}


def test_another_customers_data_never_leaks(client, returning, other_customer, products):
    customer, first = returning
    theirs = _draft(other_customer, products)
    assert returning_applicant_prefill(theirs) == {}
    client.force_login(other_customer)
    body = client.get(
        reverse("origination:apply_step", args=[theirs.reference, "applicant"])
    ).content.decode()
    assert NOTICE not in body
    assert decrypt(first.id_number_enc) not in body and first.name not in body
    # nor may they open the returning customer's draft
    mine = _draft(customer, products)
    response = client.get(reverse("origination:apply_step", args=[mine.reference, "applicant"]))
    assert response.status_code == 404
