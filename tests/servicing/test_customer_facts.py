"""Customer facts: one set-based refresh over every customer with a loan (issue 21)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from servicing.models import CustomerFact, LoanScheduleRow, MarketingConsent
from servicing.services.customer_facts import customer_facts_refresh
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_factory import VALUE_DATE, loan_through_funding

pytestmark = pytest.mark.django_db(transaction=False)


def test_facts_of_a_customer_with_two_loans_and_a_payment():
    customer = UserFactory(phone="13755550001")
    first = loan_through_funding(customer=customer, amount="60000.00", term=12)
    second = loan_through_funding(customer=customer, amount="30000.00", term=24)
    row = first.schedule.filter(superseded_by_version__isnull=True).order_by("instalment_no")[0]
    repayment_post(
        loan_id=first.pk, amount=row.instalment, source="online", actor="customer",
        business_date=row.due_date,
    )  # fmt: skip
    today = VALUE_DATE + dt.timedelta(days=45)

    written = customer_facts_refresh(business_date=today)

    facts = CustomerFact.objects.get(customer=customer)
    first.refresh_from_db()
    second.refresh_from_db()
    assert written == 1
    assert facts.computed_on == today
    assert (facts.loans_active, facts.loans_closed) == (2, 0)
    assert facts.instalments_paid == 1
    assert facts.principal_outstanding == first.principal_outstanding + second.principal_outstanding
    assert facts.principal_outstanding < Decimal("90000.00")
    last_due = LoanScheduleRow.objects.filter(loan=first, superseded_by_version__isnull=True)
    last_due = last_due.order_by("-due_date")[0].due_date
    months = (last_due.year - today.year) * 12 + last_due.month - today.month
    if last_due.day < today.day:
        months -= 1
    assert facts.months_to_maturity == months
    assert facts.first_funded_on == VALUE_DATE
    assert facts.marketing_consent is False


def test_a_rerun_is_the_same_and_consent_follows_the_consent_rows():
    customer = UserFactory(phone="13755550002")
    loan_through_funding(customer=customer, amount="50000.00", term=12)
    customer_facts_refresh(business_date=VALUE_DATE)
    before = CustomerFact.objects.values().get(customer=customer)

    customer_facts_refresh(business_date=VALUE_DATE)
    assert CustomerFact.objects.values().get(customer=customer) == before

    MarketingConsent.objects.create(customer=customer, given_via="portal")
    customer_facts_refresh(business_date=VALUE_DATE)
    assert CustomerFact.objects.get(customer=customer).marketing_consent is True
