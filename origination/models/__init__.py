"""Origination models, one module per area: products and their versions (``products``), rate
tables, the LPR and the regulatory limits (``rates``), saved quotes (``quotes``), applications
with their applicants and items (``applications``), their documents (``documents``), consents
and data-subject requests (``privacy``), sign-up codes (``signup``), the underwriting workbench
(``underwriting``) and e-contracts with their checklist (``contracts``).

Django loads an app's models from this package: importing every module here registers them,
and the app's code imports models from ``origination.models``.
"""

from origination.models.products import (
    ContractType,
    DayCountChoice,
    FeeKind,
    ItemKind,
    LprTenor,
    PayeeType,
    Product,
    ProductPurpose,
    ProductVersion,
    RateBasis,
    RepaymentMethod,
    Tier,
    VehicleKind,
    VehicleUse,
    VersionStatus,
)
from origination.models.quotes import Quote
from origination.models.rates import LprRate, RateTableEntry, RegulatoryLimits

__all__ = [
    "ContractType",
    "DayCountChoice",
    "FeeKind",
    "ItemKind",
    "LprRate",
    "LprTenor",
    "PayeeType",
    "Product",
    "ProductPurpose",
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
from origination.models.bank_cards import *  # noqa: E402,F403 - a sale-leaseback's payout card
from origination.models.contracts import *  # noqa: E402,F403 - e-contracts, checklist
from origination.models.documents import *  # noqa: E402,F403 - application documents
from origination.models.floorplan import *  # noqa: E402,F403 - floor-plan lines (库存融资额度)
from origination.models.payees import *  # noqa: E402,F403 - the payee register
from origination.models.privacy import *  # noqa: E402,F403 - consents, data-subject requests
from origination.models.signup import *  # noqa: E402,F403 - sign-up SMS codes
from origination.models.underwriting import *  # noqa: E402,F403 - underwriting workbench
