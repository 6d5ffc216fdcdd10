"""``{{ code|rule_label }}``: the product pages' words for the codes in a product's rules
(vehicle kinds and uses, repayment methods, fees, financed items), from the one mapping in
origination.quoting.vocabulary. An unknown code shows as it is."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from origination.quoting.vocabulary import RULE_LABELS, VEHICLE_USE_LABELS

register = template.Library()


@register.filter
def rule_label(code, kind: str = "") -> str:
    """新车 for "new", 购置税 for "purchase_tax"; ``kind="use"`` for vehicle uses."""
    # vehicle_kind "commercial" (商用车) and vehicle_use "commercial" (营运) share a code:
    # kinds win, and ``rule_label:"use"`` asks for the use.
    table = VEHICLE_USE_LABELS if kind == "use" else RULE_LABELS
    label = table.get(str(code))
    return gettext(label) if label else str(code)
