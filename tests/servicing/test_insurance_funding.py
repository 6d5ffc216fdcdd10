"""A secured loan's financed insurance is recorded at funding like a lease's: the lender first
beneficiary, the premium of the contract's insurer item; an unsecured loan's is not required."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from origination.services.contracts.pricing import lender_name
from servicing.models.leases import InsurancePolicy
from servicing.models.loans import Loan
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from tests.servicing.disbursement_support import STANDARD, deliver, make_facts, send_all

pytestmark = pytest.mark.usefixtures("disbursement_settings")


def _fund(facts, maker, checker) -> Loan:
    d = disbursement_create(facts=facts, actor=maker)
    d = disbursement_approve(disbursement_id=d.pk, actor=checker)
    send_all(d)
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    return Loan.objects.get(pk=d.loan_id)


def test_a_secured_loan_with_financed_insurance_opens_its_policy(
    dealer, customer, payees, maker, checker
):
    loan = _fund(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)

    policy = InsurancePolicy.objects.get(loan=loan)
    assert (policy.vin, policy.premium, policy.insurer_payee_id, policy.policy_number) == (
        "LSVAU2180N2000001", Decimal("5200.00"), payees["insurer"].pk, ""
    )  # fmt: skip
    assert policy.beneficiary_name == lender_name() and policy.lender_is_beneficiary
    assert policy.ends_on - policy.starts_on == dt.timedelta(days=364)


def test_an_unsecured_loan_opens_no_policy(dealer, customer, payees, maker, checker):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    facts["product_rules"] = {"secured": False}
    loan = _fund(facts, maker, checker)
    assert not InsurancePolicy.objects.filter(loan=loan).exists()
