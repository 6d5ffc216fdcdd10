"""Origination models, one module per area; everything is re-exported here.

Products and pricing: ``origination.models.products``. Applications (intake) go in
``origination.models.applications`` and are re-exported below it.
"""

from origination.models.products import (
    ContractType,
    DayCountChoice,
    FeeKind,
    ItemKind,
    LprRate,
    LprTenor,
    PayeeType,
    Product,
    ProductVersion,
    Quote,
    RateBasis,
    RateTableEntry,
    RegulatoryLimits,
    RepaymentMethod,
    Tier,
    VehicleKind,
    VehicleUse,
    VersionStatus,
)

__all__ = [
    "ContractType",
    "DayCountChoice",
    "FeeKind",
    "ItemKind",
    "LprRate",
    "LprTenor",
    "PayeeType",
    "Product",
    "ProductVersion",
    "Quote",
    "RateBasis",
    "RateTableEntry",
    "RegulatoryLimits",
    "RepaymentMethod",
    "Tier",
    "VehicleKind",
    "VehicleUse",
    "VersionStatus",
]
from origination.models.applications import *  # noqa: E402,F403 - intake models
from origination.models.contracts import *  # noqa: E402,F403 - e-contracts, checklist
from origination.models.underwriting import *  # noqa: E402,F403 - underwriting workbench
