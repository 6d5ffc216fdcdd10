"""Reads of the payee register (收款方登记簿): the one matching rule that origination (a contract
is signed only with registered payees) and servicing (it pays them) share, the type-ahead search
used wherever a payee is named, and the register page's lists."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from origination.models.payees import Payee, PayeeChange

# contract / application payee types -> the register's kind (dealer and lender are not kept here)
PAYEE_TYPE_KIND = {
    "insurer": "insurer",
    "tax": "tax",
    "tax_authority": "tax",
    "warranty": "warranty",
    "warranty_provider": "warranty",
    "accessory": "accessory",
    "accessories": "accessory",
    "gps": "gps",
    "service_centre": "service_centre",
}
SEARCH_LIMIT = 10


def payees_usable(kind: str | None = None) -> QuerySet[Payee]:
    """Registered payees money may be paid to: active and verified."""
    qs = Payee.objects.filter(active=True, verified=True)
    return qs.filter(payee_type=kind) if kind else qs


def payee_match(kind: str, name: str) -> Payee | None:
    """The registered payee a contract's (kind, name) means: the active verified payee of that
    kind with exactly that name; else the only one of its kind when the kind is the tax account
    (there is one) or no name was given."""
    qs = payees_usable(kind)
    payee = qs.filter(name=name).first() if name else None
    if payee is None:
        candidates = list(qs[:2])
        if len(candidates) == 1 and (kind == "tax" or not name):
            payee = candidates[0]
    return payee


def payee_named(payee_type: str, name: str) -> Payee | None:
    """At intake: the usable payee of the register a typed (payee type, name) names, exactly;
    None when it is not registered and verified. A payee type the register does not keep (the
    dealer) is not looked up: it returns None too, so callers check the kind first."""
    kind = PAYEE_TYPE_KIND.get(payee_type)
    if kind is None or not name:
        return None
    return payees_usable(kind).filter(name=name).first()


def contract_payees_unregistered(payees: list[dict]) -> list[str]:
    """Every payee of a contract's payee list that money could not rightly be paid to, as
    "项目：名称" for a message: a register payee (insurer, tax, …) the register does not hold,
    verified; an add-on recorded as paid to the dealer but naming someone other than the car's
    seller (servicing pays every dealer line to the car's seller, so the name would be a lie).
    The lender's own fees are not register payees."""
    dealer_lines = [p for p in payees or [] if p.get("payee_type") == "dealer"]
    seller = str(dealer_lines[0].get("name") or "").strip() if dealer_lines else ""  # the car
    missing = []
    for p in payees or []:
        payee_type = str(p.get("payee_type") or "")
        name = str(p.get("name") or "").strip()
        if payee_type == "dealer":
            unpaid = name != seller
        else:
            kind = PAYEE_TYPE_KIND.get(payee_type)
            unpaid = kind is not None and payee_match(kind, name) is None
        if unpaid:
            missing.append(f"{p.get('label') or payee_type}（{name or _('未填写名称')}）")
    return missing


def application_payees_unregistered(application) -> list[str]:
    """The application's financed items whose payee the register does not hold (verified), as
    contract_payees_unregistered names them: what must be picked before a contract is made."""
    return contract_payees_unregistered(
        [
            {"payee_type": i.payee_type, "name": i.payee_name, "label": i.get_item_kind_display()}
            for i in application.items.order_by("id")
        ]
    )


def payee_search(*, kind: str = "", query: str = "") -> list[Payee]:
    """Type-ahead: usable payees of a kind (any register kind if none) whose name contains the
    query, at most SEARCH_LIMIT."""
    kind = PAYEE_TYPE_KIND.get(kind, "")
    qs = payees_usable(kind or None)
    query = (query or "").strip()
    if query:
        qs = qs.filter(name__icontains=query)
    return list(qs.order_by("payee_type", "name")[:SEARCH_LIMIT])


def payee_register() -> dict:
    """The register page: active payees, changes waiting for the checker, recent decisions."""
    return {
        "payees": Payee.objects.filter(active=True).order_by("payee_type", "name"),
        "pending": PayeeChange.objects.filter(status=PayeeChange.Status.PENDING)
        .select_related("prepared_by", "payee")
        .order_by("created_at"),
        "recent": PayeeChange.objects.exclude(status=PayeeChange.Status.PENDING)
        .select_related("prepared_by", "approved_by")
        .order_by("-decided_at")[:20],
    }
