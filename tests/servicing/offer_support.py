"""Helpers for the offer tests: the maintenance product as the demo seeds it, a registered
partner service centre, a customer with a funded car loan and a pre-approved maintenance offer,
and the signing and funding of the contract an accepted offer leads to — all by the apps' own
services. Imported by name."""

from __future__ import annotations

import datetime as dt

from autofin.approvals import four_eyes_waived
from autofin.business_date import business_date_set
from autofin.policy import policy_set
from autofin.roles import Role
from origination.models import Product
from origination.seed.products import PURPOSE_PRODUCTS
from origination.selectors.products import product_version_current, quoting_cache_clear
from origination.services.products import product_create, product_version_publish
from servicing.services.customer_facts import customer_facts_refresh
from servicing.services.offers.issue import offer_issue
from tests.factories import UserFactory
from tests.servicing.disbursement_support import register_payee
from tests.servicing.loan_factory import VALUE_DATE, _cast, loan_through_funding

TODAY = VALUE_DATE + dt.timedelta(days=40)
CENTRE = "上海星辰汽车维修保养中心"
CENTRE_ACCOUNT = "6214831007000321"


def purpose_product(code: str = "maintenance"):
    """The demo seed's purpose product of that code (maintenance, insurance-renewal), published."""
    product = Product.objects.filter(code=code).first()
    if product is None:
        spec = next(p for p in PURPOSE_PRODUCTS if p["code"] == code)
        product = product_create(
            actor="test",
            **{k: spec[k] for k in ("code", "name", "vehicle_kind", "contract_type", "secured",
                                    "sort_order", "description", "rules", "rates", "purpose")},
        )  # fmt: skip
        with four_eyes_waived("offer tests"):
            product_version_publish(actor="test", version=product.versions.get(number=1))
    quoting_cache_clear()
    return product_version_current(product=product)


def maintenance_product():
    """The demo seed's maintenance product (code `maintenance`), published."""
    return purpose_product("maintenance")


def service_centre(name: str = CENTRE, account: str = CENTRE_ACCOUNT):
    cast = _cast()
    return register_payee(cast["maker"], cast["checker"], payee_type="service_centre",
                          name=name, account=account)  # fmt: skip


def customer_with_offer(phone: str, *, amount: str = "80000.00"):
    """A customer whose car loan (funded the production way) earns a maintenance offer on
    TODAY; the business date is left at TODAY. Returns (customer, loan, offer)."""
    policy_set(key="risk.preapproval.min_instalments_paid", value="0",
               effective_from=dt.date(2026, 1, 1), actor="test", reason="a young book")  # fmt: skip
    customer = UserFactory(roles=[Role.CUSTOMER], phone=phone)
    loan = loan_through_funding(customer=customer, amount=amount, term=12)
    maintenance_product()
    service_centre()
    business_date_set(actor="test", date=TODAY, reason="offers")
    customer_facts_refresh(business_date=TODAY)
    offer = offer_issue(customer=customer, kind="maintenance", business_date=TODAY)
    return customer, loan, offer


def signed_long_ago() -> None:
    """The car contract's signing code (a minute ago here) dated past the one-a-minute resend
    limit, as it would be: she signed her car contract months before taking up the offer."""
    from django.db.models import F

    from origination.models.signup import SmsCode
    from origination.services.contracts.signing import SIGN_PURPOSE
    from origination.services.signup import RESEND_AFTER

    SmsCode.objects.filter(purpose=SIGN_PURPOSE).update(created_at=F("created_at") - RESEND_AFTER)
