"""``{{ code|rule_label }}``: the product pages' words for the codes in a product's rules
(vehicle kinds and uses, repayment methods, fees, financed items), from the one mapping in
origination.quoting.vocabulary. An unknown code shows as it is."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from origination.quoting.vocabulary import (
    FEE_KIND_LABELS,
    ITEM_KIND_LABELS,
    METHOD_LABELS,
    VEHICLE_KIND_LABELS,
    VEHICLE_USE_LABELS,
)

register = template.Library()

# vehicle_kind "commercial" (商用车) and vehicle_use "commercial" (营运) share a code: kinds win
# here, and ``rule_label:"use"`` asks for the use.
_LABELS = {
    **ITEM_KIND_LABELS,
    **FEE_KIND_LABELS,
    **METHOD_LABELS,
    **VEHICLE_USE_LABELS,
    **VEHICLE_KIND_LABELS,
}


@register.filter
def rule_label(code, kind: str = "") -> str:
    """新车 for "new", 购置税 for "purchase_tax"; ``kind="use"`` for vehicle uses."""
    table = VEHICLE_USE_LABELS if kind == "use" else _LABELS
    label = table.get(str(code))
    return gettext(label) if label else str(code)
