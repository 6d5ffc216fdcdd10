"""Step 3: the financed items (the car and the add-ons) with who is paid for each; the deal is
re-checked with the add-ons before anything is saved."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models import PayeeType, ProductPurpose
from origination.models.applications import (
    Application,
    ApplicationChannel,
    ApplicationStatus,
    FinancedItem,
    FinancedItemKind,
)
from origination.quoting.deal import AddOn
from origination.selectors.payees import PAYEE_TYPE_KIND, payee_named
from origination.services.applications.drafts import lock_editable
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
    errors_add,
)
from origination.services.applications.vehicle import (
    ADD_ON_KINDS,
    VEHICLE_FIELDS,
    quote_fields,
    vehicle_check,
)

S = ApplicationStatus


DEFAULT_PAYEE = {
    "purchase_tax": PayeeType.TAX_AUTHORITY,
    "insurance": PayeeType.INSURER,
    "warranty": PayeeType.WARRANTY_PROVIDER,
    "accessories": PayeeType.DEALER,
}


# who a purpose product's purchase is paid to (origination.models.ProductPurpose)
PURPOSE_PAYEE_TYPE = {
    ProductPurpose.MAINTENANCE: PayeeType.SERVICE_CENTRE,
    ProductPurpose.INSURANCE_RENEWAL: PayeeType.INSURER,
}


def purpose_payee_type(application: Application) -> str | None:
    """The payee type a purpose product's purchase goes to; None for a car."""
    version = application.product_version
    return PURPOSE_PAYEE_TYPE.get(version.product.purpose) if version is not None else None


def payee_unregistered(payee_type: str, payee_name: str) -> bool:
    """A named payee the register keeps (insurer, tax, warranty) that it does not hold, verified:
    money is only ever paid to registered payees, so intake refuses it rather than the contract."""
    return payee_type in PAYEE_TYPE_KIND and payee_named(payee_type, payee_name) is None


def payee_refusal(payee_type: str, payee_name: str) -> str:
    label = PayeeType(payee_type).label if payee_type in PayeeType.values else payee_type
    return _("“%(name)s”不是已登记并核验的%(kind)s，请从列表中选择已登记的收款方。") % {
        "name": payee_name,
        "kind": label,
    }


def application_items_save(
    *, actor: Any, application: Application, items: Mapping[str, Mapping], car_payee_name: str = ""
) -> Application:
    """Step 3: ``items`` maps each add-on kind to {"amount", "payee_type", "payee_name"} (an
    empty or zero amount means not financed). The car itself is an item paid to the dealer
    (dealer channel) or the seller named in ``car_payee_name`` (direct channel)."""
    if application.status != S.DRAFT:
        raise ApplicationNotEditableError(application.status)
    errors: dict[str, list[str]] = {}
    rows = []
    for kind in ADD_ON_KINDS:
        item = items.get(kind) or {}
        amount = item.get("amount")
        if amount in (None, "") or Decimal(amount) == 0:
            continue
        amount = Decimal(amount)
        if amount < 0:
            errors_add(errors, f"{kind}_amount", _("金额不能为负数。"))
            continue
        payee_type = item.get("payee_type") or DEFAULT_PAYEE[kind]
        if payee_type not in PayeeType.values:
            errors_add(errors, f"{kind}_payee_type", _("请选择收款方类型。"))
        payee_name = str(item.get("payee_name") or "").strip()
        if not payee_name:
            errors_add(errors, f"{kind}_payee_name", _("请填写收款方名称。"))
        elif payee_unregistered(payee_type, payee_name):
            errors_add(errors, f"{kind}_payee_name", payee_refusal(payee_type, payee_name))
        rows.append((kind, amount, payee_type, payee_name))
    purpose = purpose_payee_type(application)
    if purpose is not None:
        # a maintenance or insurance purchase: its price is paid to the registered service
        # centre or insurer the customer picked, never to a dealer or to the customer
        car_payee_type, car_payee = purpose, str(car_payee_name or "").strip()
        if not car_payee or payee_unregistered(purpose, car_payee):
            errors_add(errors, "car_payee_name", payee_refusal(purpose, car_payee))
    elif application.channel == ApplicationChannel.DEALER:
        car_payee_type, car_payee = PayeeType.DEALER, application.dealer.legal_name
    else:
        car_payee_type, car_payee = PayeeType.DEALER, str(car_payee_name or "").strip()
        if not car_payee:
            errors_add(errors, "car_payee_name", _("请填写车辆销售方（车款收款方）名称。"))
    add_ons = tuple(AddOn(item_kind=k, amount=a) for k, a, _t, _n in rows)
    check = vehicle_check(
        version=application.product_version,
        data={n: getattr(application, n) for n in VEHICLE_FIELDS},
        add_ons=add_ons,
    )
    for field, messages in check.errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ApplicationValidationError(errors)
    with transaction.atomic():
        app = lock_editable(application)
        FinancedItem.objects.filter(application=app).delete()
        FinancedItem.objects.create(
            application=app,
            item_kind=FinancedItemKind.CAR,
            amount=app.vehicle_price - app.down_payment,
            payee_type=car_payee_type,
            payee_name=car_payee[:200],
        )
        for kind, amount, payee_type, payee_name in rows:
            FinancedItem.objects.create(
                application=app,
                item_kind=kind,
                amount=amount,
                payee_type=payee_type,
                payee_name=payee_name[:200],
            )
        for name, value in quote_fields(check.evaluation).items():
            setattr(app, name, value)
        app.items_saved_at = timezone.now()
        app.save()
        audit_record(
            actor=actor,
            obj=app,
            action="application_items_save",
            data={"items": {k: str(a) for k, a, _t, _n in rows}},
        )
        return app
