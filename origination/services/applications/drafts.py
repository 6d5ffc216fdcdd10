"""What the steps of a draft share: the actor as a user, the car's key, the rule of one
application in progress per customer and car, the row lock of an editable draft and its
saved add-ons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.crypto import keyed_hash
from origination.models.applications import IN_PROGRESS_STATUSES, Application, ApplicationStatus
from origination.quoting.deal import AddOn
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
)
from origination.services.applications.vehicle import ADD_ON_KINDS

S = ApplicationStatus


def actor_user(actor: Any):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None


def car_key_for(*, product_version_id: int, vin: str, price, brand: str, model: str) -> str:
    if vin:
        return f"vin:{vin}"
    digest = keyed_hash(f"{product_version_id}|{Decimal(price):.2f}|{brand}|{model}")
    return f"car:{digest[:60]}"


def in_progress_duplicate(*, customer_key: str, car_key: str, exclude_pk=None):
    qs = Application.objects.filter(
        customer_key=customer_key, car_key=car_key, status__in=IN_PROGRESS_STATUSES
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def duplicate_error(existing: Application, *, has_vin: bool) -> ApplicationValidationError:
    field = "vin" if has_vin else "__all__"
    return ApplicationValidationError(
        {
            field: [
                _("该客户同一辆车已有一笔办理中的申请（编号 %(ref)s），请继续该申请。")
                % {"ref": existing.reference}
            ]
        }
    )


def lock_editable(application: Application, *, allow_documents_requested: bool = False):
    app = Application.objects.select_for_update().get(pk=application.pk)
    editable = {S.DRAFT, S.DOCUMENTS_REQUESTED} if allow_documents_requested else {S.DRAFT}
    if app.status not in editable:
        raise ApplicationNotEditableError(app.status)
    return app


def _add_ons(items: Iterable[Mapping]) -> tuple[AddOn, ...]:
    return tuple(
        AddOn(item_kind=i["item_kind"], amount=Decimal(i["amount"]))
        for i in items
        if i["item_kind"] in ADD_ON_KINDS and Decimal(i["amount"]) > 0
    )


def saved_add_ons(app: Application) -> tuple[AddOn, ...]:
    return _add_ons(app.items.values("item_kind", "amount"))
