"""Django admin of origination: products and pricing, applications (intake), and the back
office (authority limits, cases, contracts) and the payee register, one module each."""

# Django's admin autodiscovery imports only this package: importing the modules here is what
# registers their ModelAdmins.
from origination.admin import applications, backoffice, payees, products  # noqa: F401
