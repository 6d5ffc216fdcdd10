"""Step 1: start a new draft (product, car and deal, with the live quote) for a signed-up
customer (direct channel) or for a dealer's customer (dealer channel); change step 1 of a
draft."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import encrypt, keyed_hash, mask
from dealers.selectors import dealer_can_submit
from origination.models import ProductVersion
from origination.models.applications import (
    Application,
    ApplicationChannel,
    ApplicationStatus,
    FinancedItem,
    FinancedItemKind,
)
from origination.services.applications.drafts import (
    actor_user,
    car_key_for,
    duplicate_error,
    in_progress_duplicate,
    lock_editable,
    saved_add_ons,
)
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
    errors_add,
)
from origination.services.applications.vehicle import VEHICLE_FIELDS, quote_fields, vehicle_check
from origination.services.state import event_record
from origination.validators import validate_mobile

S = ApplicationStatus


def _reference() -> str:
    day = timezone.localdate()
    return f"AP{day:%y%m%d}{secrets.token_hex(4).upper()}"


def application_start(
    *,
    actor: Any,
    channel: str,
    product_version: ProductVersion | None,
    vehicle: Mapping,
    customer=None,
    customer_name: str = "",
    customer_mobile: str = "",
    dealer=None,
    salesperson=None,
    preapproval: Mapping | None = None,
) -> Application:
    """A new draft with step 1 filled in. Direct channel: ``customer`` is the signed-up user
    (their phone identifies them). Dealer channel: ``dealer`` and ``salesperson`` apply for a
    customer named by ``customer_name`` and ``customer_mobile``; the dealer must be active.
    ``preapproval``: the offer this application takes up (risk re-checks it at the decision)."""
    errors: dict[str, list[str]] = {}
    if channel == ApplicationChannel.DIRECT:
        if customer is None:
            raise ValueError("the direct channel needs the customer")
        customer_mobile = customer_mobile or customer.phone
        customer_name = customer_name or customer.display_name or customer.get_username()
    else:
        _dealer_channel_errors(errors, dealer=dealer, customer_name=customer_name)
    try:
        customer_mobile = validate_mobile(customer_mobile)
    except ValidationError as exc:
        errors_add(errors, "customer_mobile", exc.messages[0])
    check = vehicle_check(version=product_version, data=vehicle)
    for field, messages in check.errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ApplicationValidationError(errors)
    data = check.data
    customer_key = keyed_hash(customer_mobile)
    car_key = _car_key(product_version, data)
    existing = in_progress_duplicate(customer_key=customer_key, car_key=car_key)
    if existing is not None:
        raise duplicate_error(existing, has_vin=bool(data["vin"]))
    direct, via_dealer = channel == ApplicationChannel.DIRECT, channel == ApplicationChannel.DEALER
    fields = {
        "channel": channel,
        "customer": customer if direct else None,
        "customer_key": customer_key,
        "customer_name": str(customer_name).strip()[:50],
        "customer_mobile_enc": encrypt(customer_mobile),
        "customer_mobile_masked": mask(customer_mobile, keep_start=3, keep_end=4),
        "dealer": dealer if via_dealer else None,
        "salesperson": salesperson if via_dealer else None,
        "created_by": actor_user(actor),
        "product_version": product_version,
        "car_key": car_key,
        **{k: data[k] for k in VEHICLE_FIELDS},
        **quote_fields(check.evaluation),
        "preapproval": dict(preapproval or {}),
    }
    try:
        return _draft_create(actor=actor, fields=fields)
    except IntegrityError:
        # the unique index on the customer and car in progress: a start that raced this one
        existing = in_progress_duplicate(customer_key=customer_key, car_key=car_key)
        if existing is None:
            raise
        raise duplicate_error(existing, has_vin=bool(data["vin"])) from None


def _dealer_channel_errors(errors: dict, *, dealer, customer_name: str) -> None:
    """A dealer applies only while active, and names its customer."""
    if dealer is None or not dealer_can_submit(dealer.pk):
        errors_add(errors, "__all__", _("贵店当前不是合作中状态，暂不能提交申请。"))
    if not str(customer_name or "").strip():
        errors_add(errors, "customer_name", _("请填写客户姓名。"))


def _car_key(version: ProductVersion, data: Mapping) -> str:
    return car_key_for(
        product_version_id=version.pk,
        vin=data["vin"],
        price=data["vehicle_price"],
        brand=data["vehicle_brand"],
        model=data["vehicle_model"],
    )


def _draft_create(*, actor: Any, fields: dict) -> Application:
    """Insert the draft with its audit row and its first timeline event."""
    with transaction.atomic():
        app = Application.objects.create(
            reference=_reference(), status_changed_at=timezone.now(), **fields
        )
        audit_record(
            actor=actor,
            obj=app,
            action="application_start",
            to_state=S.DRAFT,
            data={"channel": fields["channel"], "dealer_id": app.dealer_id},
        )
        event_record(application=app, kind="status", actor=actor, to_status=S.DRAFT)
        return app


def application_vehicle_update(
    *,
    actor: Any,
    application: Application,
    product_version: ProductVersion | None,
    vehicle: Mapping,
) -> Application:
    """Change step 1 of a draft (re-checks the deal with the saved financed add-ons)."""
    if application.status != S.DRAFT:
        raise ApplicationNotEditableError(application.status)
    check = vehicle_check(version=product_version, data=vehicle, add_ons=saved_add_ons(application))
    if check.errors:
        raise ApplicationValidationError(check.errors)
    data = check.data
    car_key = _car_key(product_version, data)
    existing = in_progress_duplicate(
        customer_key=application.customer_key, car_key=car_key, exclude_pk=application.pk
    )
    if existing is not None:
        raise duplicate_error(existing, has_vin=bool(data["vin"]))
    with transaction.atomic():
        app = lock_editable(application)
        for name in VEHICLE_FIELDS:
            setattr(app, name, data[name])
        app.product_version = product_version
        app.car_key = car_key
        for name, value in quote_fields(check.evaluation).items():
            setattr(app, name, value)
        app.save()
        car_part = Decimal(data["vehicle_price"]) - Decimal(data["down_payment"])
        FinancedItem.objects.filter(application=app, item_kind=FinancedItemKind.CAR).update(
            amount=car_part
        )
        audit_record(actor=actor, obj=app, action="application_vehicle_update")
        return app
