"""The kinds a product's rules and a deal name (vehicles, uses, contracts, tiers, fees, items,
payees, rate bases) and the labels messages show for them (msgids)."""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks a msgid for extraction; the Django layer translates it when rendering."""
    return message


VEHICLE_KINDS = ("new", "used", "nev", "commercial")
VEHICLE_USES = ("personal", "commercial")
CONTRACT_TYPES = ("loan", "direct_lease", "sale_leaseback")
TIERS = ("A", "B", "C", "D")
FEE_KINDS = ("handling", "gps", "mortgage_registration")
FEE_BASES = ("percent", "fixed", "per_instalment")
ITEM_KINDS = ("purchase_tax", "insurance", "warranty", "accessories")
PAYEE_TYPES = ("tax_authority", "insurer", "dealer", "warranty_provider")
RATE_BASES = ("fixed", "lpr")
LPR_TENORS = ("1y", "5y")
# what a product finances: a car, or an existing customer's car's maintenance or insurance renewal
PURPOSES = ("vehicle", "maintenance", "insurance_renewal")
# a sale-leaseback car's title: transferred to the lessor, or mortgaged to it
LEASEBACK_TITLES = ("transfer", "mortgage")

VEHICLE_KIND_LABELS = {
    "new": gettext_noop("新车"),
    "used": gettext_noop("二手车"),
    "nev": gettext_noop("新能源车"),
    "commercial": gettext_noop("商用车"),
}
VEHICLE_USE_LABELS = {"personal": gettext_noop("自用"), "commercial": gettext_noop("营运")}
METHOD_LABELS = {
    "equal_instalment": gettext_noop("等额本息"),
    "equal_principal": gettext_noop("等额本金"),
    "interest_only": gettext_noop("先息后本"),
    "balloon": gettext_noop("弹性尾款"),
}
FEE_KIND_LABELS = {
    "handling": gettext_noop("手续费"),
    "gps": gettext_noop("GPS 费"),
    "mortgage_registration": gettext_noop("抵押登记费"),
}
ITEM_KIND_LABELS = {
    "purchase_tax": gettext_noop("购置税"),
    "insurance": gettext_noop("保险"),
    "warranty": gettext_noop("延保"),
    "accessories": gettext_noop("精品加装"),
}
CONTRACT_TYPE_LABELS = {
    "loan": gettext_noop("贷款"),
    "direct_lease": gettext_noop("直租"),
    "sale_leaseback": gettext_noop("售后回租"),
}
# Every code above by its label. The vehicle use "commercial" (营运) shares its code with the
# vehicle kind 商用车 and the kind wins here: a use's label is asked of VEHICLE_USE_LABELS.
RULE_LABELS = {
    **ITEM_KIND_LABELS,
    **FEE_KIND_LABELS,
    **METHOD_LABELS,
    **CONTRACT_TYPE_LABELS,
    **VEHICLE_USE_LABELS,
    **VEHICLE_KIND_LABELS,
}
