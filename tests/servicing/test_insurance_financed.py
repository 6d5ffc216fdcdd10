"""A financed renewal premium end to end (issue 21 seams): risk pre-approves the offer for the
premium, the customer takes it up like any purpose offer, the contract is titled for what it
finances, the loan pays the insurer, and funding binds the quote exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.business_date import business_date_set
from autofin.policy import policy_set
from autofin.roles import Role
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.services.contracts.pdf import contract_context
from origination.services.contracts.pricing import lender_name
from servicing.models.disbursement import PaymentInstruction
from servicing.models.insurance import RenewalQuote
from servicing.models.leases import InsurancePolicy
from servicing.services.customer_facts import customer_facts_refresh
from servicing.services.insurance.renewals import (
    customer_quote,
    renewal_finance,
    renewal_financed_funded,
    renewal_quotes_fetch,
)
from servicing.services.offers.accept import offer_accept
from tests.factories import UserFactory
from tests.servicing.disbursement_support import register_payee
from tests.servicing.loan_factory import (
    _cast,
    _last_code,
    _pdf_stand_in,
    _settings,
    contract_fund,
    loan_through_funding,
)
from tests.servicing.loan_helpers import assert_ledger_matches
from tests.servicing.offer_support import TODAY, purpose_product, signed_long_ago

pytestmark = pytest.mark.django_db
D = Decimal
PINGAN = "平安产险（沙箱）"


def test_a_financed_premium_pays_the_insurer_and_funding_binds_the_quote_once(
    settings, django_capture_on_commit_callbacks
):
    from origination.services.checklist import checklist_item_record
    from origination.services.contracts.signing import contract_sign, contract_sign_code_send

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with _settings(), _pdf_stand_in():
        policy_set(key="risk.preapproval.min_instalments_paid", value="0",
                   effective_from=dt.date(2026, 1, 1), actor="test", reason="a young book")  # fmt: skip
        customer = UserFactory(roles=[Role.CUSTOMER], phone="13788883001")
        car_loan = loan_through_funding(customer=customer, amount="80000.00", term=12)
        purpose_product("insurance-renewal")
        cast = _cast()
        register_payee(cast["maker"], cast["checker"], payee_type="insurer", name=PINGAN,
                       account="6222021002000777")  # fmt: skip
        business_date_set(actor="test", date=TODAY, reason="renewal")
        customer_facts_refresh(business_date=TODAY)
        old = InsurancePolicy.objects.create(
            loan=car_loan, vin=car_loan.vin or "LSVAU2180N2000001", insurer_name="人保财险（沙箱）",
            policy_number="OLD000777", premium=D("5200.00"),
            starts_on=TODAY - dt.timedelta(days=345), ends_on=TODAY + dt.timedelta(days=19),
            beneficiary_name=lender_name(), lender_is_beneficiary=True,
        )  # fmt: skip
        renewal_quotes_fetch(business_date=TODAY)
        quote = customer_quote(
            user=customer,
            quote_id=RenewalQuote.objects.get(policy=old, insurer_name=PINGAN).pk,
            on=TODAY,
        )
        offer = renewal_finance(quote=quote, actor=customer, on=TODAY)
        assert offer.limit_amount == quote.premium

        with django_capture_on_commit_callbacks(execute=True):
            taken = offer_accept(offer=offer, customer=customer, payee_name=PINGAN,
                                 amount=quote.premium, term_months=12, key="k1",
                                 business_date=TODAY)  # fmt: skip
        app = Application.objects.get(pk=taken.application_id)
        assert app.status == "approved"
        contract = Contract.objects.get(application=app, status="issued")
        assert contract_context(contract)["title"] == "车险保费分期贷款合同"
        assert RenewalQuote.objects.get(pk=quote.pk).status == "financing"  # not bound yet

        signed_long_ago()
        contract_sign_code_send(contract_id=contract.pk, actor=customer)
        contract_sign(contract_id=contract.pk, actor=customer, code=_last_code(customer.phone),
                      ip_address="203.0.113.9")  # fmt: skip
        for item in contract.checklist.filter(status="pending"):
            checklist_item_record(item_id=item.pk, actor=cast["operations"], status="done",
                                  evidence="保单报价与保费一致")  # fmt: skip
        loan = contract_fund(contract=Contract.objects.get(pk=contract.pk), cast=cast)

    instructions = PaymentInstruction.objects.filter(disbursement__contract_id=contract.pk)
    assert [(i.payee_kind, i.payee_name, i.amount, i.status) for i in instructions] == [
        ("insurer", PINGAN, quote.premium, "succeeded")]  # fmt: skip
    assert_ledger_matches(loan)
    bound = RenewalQuote.objects.get(pk=quote.pk)
    assert bound.status == "bound"
    new = InsurancePolicy.objects.get(renews=old)
    assert (bound.new_policy_id, new.insurer_name, new.premium) == (new.pk, PINGAN, quote.premium)
    assert InsurancePolicy.objects.get(pk=old.pk).status == "renewed"
    # funding retried (the recovery task) binds nothing again
    assert renewal_financed_funded(application_id=app.pk, on=TODAY, actor="test").pk == new.pk
    assert InsurancePolicy.objects.filter(renews=old).count() == 1
    # any other application's funding is not a renewal
    assert renewal_financed_funded(application_id=car_loan.application_id, on=TODAY,
                                   actor="test") is None  # fmt: skip
