"""An existing customer's maintenance or insurance credit (保养分期, 续保分期): one call makes the
whole application through the same intake steps as any other — start, applicants, the purchase
paid to its registered payee, consents, submission — so the risk decision, the contract, the
checklist and funding follow as for a car.

The "car" of such an application is the customer's financed car the bill is for (its VIN and
model), its price the bill, no down payment; the product's purpose spares it the car's rules
(LTV, mortgage, GPS, documents). The applicant is copied from the customer's own earlier
application (identity and income verified there — returning.py's one rule of the customer's
verified data; they confirm, not retype). The caller hands
the offer's pre-approval, which risk re-checks on the day (`Application.preapproval`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models import ProductPurpose, ProductVersion
from origination.models.applications import Applicant, Application
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.consents import (
    application_consents_give,
    consent_texts_current,
)
from origination.services.applications.errors import ApplicationValidationError
from origination.services.applications.items import application_items_save
from origination.services.applications.returning import (
    customer_verified_applicant,
    verified_applicant_data,
)
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit


def _earlier(application_id: int | None, customer) -> tuple[Application, Applicant]:
    """The customer's own earlier application (the car's) and their verified applicant (the one
    rule of returning.py: their latest verified application's primary applicant)."""
    before = Application.objects.filter(pk=application_id, customer=customer).first()
    primary = customer_verified_applicant(customer) if before else None
    if primary is None:
        raise ApplicationValidationError({"__all__": [_("未找到您此前核实过的申请资料。")]})
    return before, primary


def purpose_consent_kinds() -> list[str]:
    """The consents a purpose application asks for: every one required at submission."""
    return [k for k, t in consent_texts_current().items() if t.required]


def application_purchase_submit(
    *,
    actor: Any,
    customer,
    product_version: ProductVersion,
    amount: Decimal,
    term_months: int,
    payee_name: str,
    prior_application_id: int | None,
    preapproval: dict,
    key: str,
) -> Application:
    """Make and submit the application (one transaction: nothing is left half made); the risk
    decision is queued as the submission commits. `prior_application_id`: the customer's
    application for the financed car the purchase is for (its car and applicant are copied).
    Raises ApplicationValidationError (nothing written)."""
    product = product_version.product
    if product.purpose == ProductPurpose.VEHICLE:
        raise ValueError("a car is applied for through the ordinary intake")
    before, primary = _earlier(prior_application_id, customer)
    vehicle = {
        "vehicle_brand": before.vehicle_brand,
        "vehicle_model": before.vehicle_model,
        "vehicle_trim": before.vehicle_trim,
        "vehicle_kind": product.vehicle_kind,
        "vehicle_use": "personal",
        "vehicle_price": amount,
        "vin": before.vin,
        "mileage_km": None,
        "first_registration_date": None,
        "down_payment": Decimal("0.00"),
        "term_months": term_months,
        "method": "equal_instalment",
        "balloon_ratio": None,
    }
    with transaction.atomic():
        app = application_start(
            actor=actor, channel="direct", product_version=product_version, vehicle=vehicle,
            customer=customer,
        )  # fmt: skip
        application_applicants_save(
            actor=actor,
            application=app,
            primary=verified_applicant_data(primary, repayment_card=True),
        )
        app.refresh_from_db()
        application_items_save(actor=actor, application=app, items={}, car_payee_name=payee_name)
        application_consents_give(actor=actor, application=app, kinds=purpose_consent_kinds())
        Application.objects.filter(pk=app.pk).update(
            preapproval={**preapproval, "prior_application_id": before.pk}
        )
        app.refresh_from_db()
        audit_record(actor=actor, obj=app, action="application_purchase_start",
                     data={"purpose": product.purpose, "payee": payee_name})  # fmt: skip
        return application_submit(actor=actor, application=app, key=key).application
