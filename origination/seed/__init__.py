"""Origination's demo data: products with their rate tables, the LPR and a few quotes
(``products``); applications in every status (``applications``); the payee register
(``payees``); the back office's cases, counter-offers and contracts (``backoffice``)."""

from origination.seed.applications import seed_applications
from origination.seed.backoffice import seed_backoffice
from origination.seed.products import seed_products


# seed_demo (and bench/quotes.py) import ``<app>.seed`` and call its ``seed``: the app's entry
# point lives here, in the package they import.
def seed(*, stdout, context: dict) -> None:
    """Products, then applications in every status, then the back office's cases and contracts."""
    seed_products(stdout=stdout, context=context)
    seed_applications(stdout=stdout, context=context)
    seed_backoffice(stdout=stdout, context=context)
