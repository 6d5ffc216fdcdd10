"""The dealers app's data, one module per area: dealers and their licences (``dealers``),
settlement accounts and their maker-checker changes (``accounts``), staff and invitations
(``staff``), agreements and commissions (``commissions``), the channel risk grade and KPIs
(``grading``). Import a model from its module: ``from dealers.models.dealers import Dealer``."""

# Django registers a model when its module is imported, and imports only this package: load
# every model module here.
from dealers.models import accounts, commissions, dealers, deposits, grading, staff  # noqa: F401
