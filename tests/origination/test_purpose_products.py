"""Purpose products (issue 21): maintenance credit is an unsecured loan without the car's rules —
no LTV rules, no GPS or mortgage fee (refused at publication), none of the car's quote checks, a
two-item funding checklist, no intake documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from autofin.approvals import four_eyes_waived
from origination.forms.apply import VehicleForm
from origination.models import Product
from origination.quoting.deal import Deal
from origination.quoting.evaluation import quote_evaluate
from origination.seed.products import PRODUCTS, PURPOSE_PRODUCTS
from origination.selectors.products import product_rules
from origination.services.checklist import checklist_kinds_for
from origination.services.products import (
    ProductRulesInvalidError,
    product_create,
    product_version_publish,
)
from tests.servicing.offer_support import maintenance_product

pytestmark = pytest.mark.django_db
SPEC = PURPOSE_PRODUCTS[0]
KEYS = ("name", "vehicle_kind", "contract_type", "secured", "sort_order", "description", "rates")


def _deal(price: str, down: str = "0.00") -> Deal:
    return Deal(vehicle_kind="new", vehicle_use="personal", vehicle_price=Decimal(price),
                term_months=12, method="equal_instalment", tier="A",
                value_date=dt.date(2026, 3, 1), down_payment=Decimal(down))  # fmt: skip


def test_a_maintenance_deal_skips_the_cars_checks_a_car_deal_keeps_them():
    maintenance = product_rules(version=maintenance_product())
    bill = quote_evaluate(maintenance, _deal("4800.00"))
    assert bill.ok, bill.violations
    assert (bill.amount_financed, bill.customer_rate) == (Decimal("4800.00"), Decimal("0.0800"))
    # the amount caps still hold
    assert "amount_financed" in quote_evaluate(maintenance, _deal("30000.01")).violations
    car = {**next(p for p in PRODUCTS if p["code"] == "new-std")["rules"]}
    version = product_create(actor="t", code="car-x", rules=car,
                             rates=next(p for p in PRODUCTS if p["code"] == "new-std")["rates"],
                             **{k: next(p for p in PRODUCTS if p["code"] == "new-std")[k]
                                for k in KEYS if k != "rates"}).versions.get()  # fmt: skip
    with four_eyes_waived("test"):
        product_version_publish(actor="t", version=version)
    assert not quote_evaluate(product_rules(version=version), _deal("48000.00")).ok  # 100 % LTV


@pytest.mark.parametrize(
    "change",
    [{"ltv_rules": [{"vehicle_kind": "new", "vehicle_use": "personal",
                     "min_down_payment_ratio": "0.20", "max_ltv": "0.80"}]},
     {"fees": [{"fee_kind": "gps", "basis": "fixed", "value": "980.00", "financed": True}]}],
)  # fmt: skip
def test_publication_refuses_a_maintenance_product_with_the_cars_terms(change):
    product = product_create(actor="t", code="mx", purpose="maintenance",
                             rules={**SPEC["rules"], **change},
                             **{k: SPEC[k] for k in KEYS})  # fmt: skip
    version = product.versions.get()
    with four_eyes_waived("test"), pytest.raises(ProductRulesInvalidError):
        product_version_publish(actor="t", version=version)
    version.refresh_from_db()
    assert version.status == "draft"


def test_a_purpose_product_is_an_unsecured_loan_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(code="m-sec", name="x", vehicle_kind="new", contract_type="loan",
                               secured=True, purpose="maintenance")  # fmt: skip


def test_the_maintenance_checklist_has_no_car_items():
    kinds = checklist_kinds_for(contract_type="loan", secured=False, gps=False,
                                purpose="maintenance")  # fmt: skip
    assert kinds == ["signed_contract", "invoice_matches_price"]


def test_the_calculator_and_the_car_application_offer_no_purpose_product(client, seeded):
    # maintenance credit and insurance renewal are taken up through an offer only
    names = {p.code: p.name for p in Product.objects.all()}
    calculator = client.get("/calculator/").content.decode()
    assert names["new-std"] in calculator
    assert names["maintenance"] not in calculator
    assert names["insurance-renewal"] not in calculator
    form_products = {v.product.code for v in VehicleForm().fields["product"].queryset}
    assert "new-std" in form_products
    assert not form_products & {"maintenance", "insurance-renewal"}
