"""Maintenance credit end to end (issue 21 §4): a pre-approved maintenance offer taken up
becomes an application that risk approves on the pre-approval, a contract the customer signs,
a disbursement paying the partner service centre only, and a loan serviced like any other.
Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.business_date import business_date_set
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.services.applications.errors import ApplicationValidationError
from origination.services.contracts.pdf import contract_context
from risk.models import Decision
from servicing.models import Offer, OfferStatus
from servicing.models.disbursement import PaymentInstruction
from servicing.services.offers.accept import offer_accept
from servicing.services.offers.lifecycle import OfferError
from tests.factories import UserFactory
from tests.servicing.loan_factory import (
    _last_code,
    _pdf_stand_in,
    _settings,
    contract_fund,
)
from tests.servicing.loan_helpers import assert_ledger_matches
from tests.servicing.offer_support import CENTRE, TODAY, customer_with_offer, signed_long_ago

pytestmark = pytest.mark.django_db


def _accept(offer, customer, *, amount="4800.00", term=12, payee=CENTRE, key="k1"):
    return offer_accept(offer=offer, customer=customer, payee_name=payee, amount=Decimal(amount),
                        term_months=term, key=key, business_date=TODAY)  # fmt: skip


def test_an_accepted_maintenance_offer_becomes_a_loan_paid_to_the_service_centre(
    settings, django_capture_on_commit_callbacks
):
    from origination.services.checklist import checklist_item_record
    from origination.services.contracts.signing import contract_sign, contract_sign_code_send
    from tests.servicing.loan_factory import _cast

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with _settings(), _pdf_stand_in():
        customer, car_loan, offer = customer_with_offer("13788880001")
        assert offer.limit_amount == Decimal("30000.00") and offer.max_term_months == 12
        assert offer.annual_rate == Decimal("0.080000")  # the product's tier-A 12-month rate

        with django_capture_on_commit_callbacks(execute=True):
            taken = _accept(offer, customer)

        assert taken.status == OfferStatus.ACCEPTED
        app = Application.objects.get(pk=taken.application_id)
        assert app.status == "approved"
        assert (app.amount_financed, app.down_payment, app.vin) == (
            Decimal("4800.00"), Decimal("0.00"), car_loan.vin)  # fmt: skip
        decision = Decision.objects.get(application_ref=app.reference)
        assert decision.reason_codes == ["P01_PREAPPROVED"]
        assert decision.inputs["preapproval"]["holds"] is True
        contract = Contract.objects.get(application=app, status="issued")
        assert contract.payees == [
            {"payee_type": "service_centre", "party": "service_centre", "name": CENTRE,
             "item": "car", "label": "保养费用", "amount": "4800.00"}]  # fmt: skip
        assert contract.customer_rate == Decimal("0.080000")
        # the heading is the purpose's: a maintenance bill, not a car loan
        page = contract_context(contract)
        assert page["title"] == "保养分期贷款合同"
        car_contract = Contract.objects.get(application_id=car_loan.application_id, status="signed")
        assert contract_context(car_contract)["title"] == "汽车贷款合同"
        assert sorted(contract.checklist.values_list("item_kind", flat=True)) == [
            "invoice_matches_price", "signed_contract"]  # fmt: skip

        signed_long_ago()
        contract_sign_code_send(contract_id=contract.pk, actor=customer)
        contract_sign(contract_id=contract.pk, actor=customer, code=_last_code(customer.phone),
                      ip_address="203.0.113.9")  # fmt: skip
        cast = _cast()
        for item in contract.checklist.filter(status="pending"):
            checklist_item_record(item_id=item.pk, actor=cast["operations"], status="done",
                                  evidence="保养工单与发票金额一致")  # fmt: skip
        loan = contract_fund(contract=Contract.objects.get(pk=contract.pk), cast=cast)

    instructions = PaymentInstruction.objects.filter(disbursement__contract_id=contract.pk)
    assert [(i.payee_kind, i.payee_name, i.amount, i.status) for i in instructions] == [
        ("service_centre", CENTRE, Decimal("4800.00"), "succeeded")]  # fmt: skip
    assert loan.amount_financed == Decimal("4800.00") and loan.customer_id == customer.pk
    assert loan.schedule.filter(superseded_by_version__isnull=True).count() == 12
    assert_ledger_matches(loan)
    app.refresh_from_db()
    assert app.status == "funded"


def test_refusals_change_nothing(settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with _settings(), _pdf_stand_in():
        customer, _loan, offer = customer_with_offer("13788880002")
        before = Application.objects.count()

        with pytest.raises(OfferError):
            _accept(offer, customer, amount="30000.01")
        with pytest.raises(OfferError):
            _accept(offer, customer, term=24)
        with pytest.raises(ApplicationValidationError):
            _accept(offer, customer, payee="未登记的修理厂")
        stranger = UserFactory(phone="13788880003")
        with pytest.raises(ApplicationValidationError):  # not her car's application
            _accept(offer, stranger)
        business_date_set(actor="test", date=offer.expires_on + dt.timedelta(days=1),
                          reason="expired")  # fmt: skip
        with pytest.raises(OfferError):
            offer_accept(offer=offer, customer=customer, payee_name=CENTRE,
                         amount=Decimal("100.00"), term_months=12, key="late",
                         business_date=offer.expires_on + dt.timedelta(days=1))  # fmt: skip

    offer.refresh_from_db()
    assert (offer.status, offer.application_id) == (OfferStatus.ACTIVE, None)
    assert Application.objects.count() == before
    assert Offer.objects.filter(customer=customer).count() == 1


def test_the_portal_pages_are_the_owners_and_an_expired_offer_is_refused(client):
    with _settings(), _pdf_stand_in():
        customer, _loan, offer = customer_with_offer("13788880004")
    other = UserFactory(phone="13788880005")
    use = f"/my/offers/{offer.pk}/use/"
    form = {"payee": CENTRE, "amount": "1000.00", "term": "12"}

    client.force_login(other)
    assert client.get(use).status_code == 404
    assert client.post(use, form).status_code == 404
    assert client.get(f"/my/offers/{offer.pk}/sign/").status_code == 404

    client.force_login(customer)
    page = client.post(use, {**form, "amount": "30000.01"})
    assert page.status_code == 200 and "不超过预审批额度" in page.content.decode()
    business_date_set(actor="test", date=offer.expires_on + dt.timedelta(days=1), reason="late")
    page = client.post(use, form)
    assert "该邀约已失效" in page.content.decode()
    offer.refresh_from_db()
    assert (offer.status, offer.application_id) == (OfferStatus.ACTIVE, None)
    assert not Application.objects.filter(customer=customer, vehicle_price=Decimal("1000.00"))


def test_the_purchase_applicant_is_the_customers_latest_verified_data(
    settings, django_capture_on_commit_callbacks
):
    """One rule (returning.py): the customer's latest verified application's applicant — the
    same data a new car application is prefilled with — not an older copy of the car's."""
    from django.utils import timezone

    from origination.services.applications.applicants import application_applicants_save
    from origination.services.applications.returning import verified_applicant_data
    from origination.services.applications.start import application_start
    from origination.services.applications.vehicle import VEHICLE_FIELDS

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with _settings(), _pdf_stand_in():
        customer, car_loan, offer = customer_with_offer("13788880009")
        car_app = Application.objects.get(pk=car_loan.application_id)
        vehicle = {k: getattr(car_app, k) for k in VEHICLE_FIELDS}
        vehicle.update(vehicle_model="汉 DM-i", vin="")
        later = application_start(actor=customer, channel="direct",
                                  product_version=car_app.product_version, vehicle=vehicle,
                                  customer=customer)  # fmt: skip
        moved = {**verified_applicant_data(car_app.primary_applicant, repayment_card=True),
                 "address": "上海市浦东新区世纪大道 100 号", "monthly_income": Decimal("32000.00")}  # fmt: skip
        application_applicants_save(actor=customer, application=later, primary=moved)
        # underwritten since: verified (approved) after the car's application
        now = timezone.now()
        Application.objects.filter(pk=later.pk).update(
            status="approved", submitted_at=now, decided_at=now
        )

        with django_capture_on_commit_callbacks(execute=True):
            taken = _accept(offer, customer)

    primary = Application.objects.get(pk=taken.application_id).primary_applicant
    assert (primary.address, primary.monthly_income) == (
        "上海市浦东新区世纪大道 100 号", Decimal("32000.00"))  # fmt: skip
