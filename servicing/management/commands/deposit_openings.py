"""`manage.py deposit_openings`: post the opening balances of dealer deposits.

Each agreement's `deposit_held`, recorded before deposits were on the books, is posted once on
`dealer_deposit` with the dealer's sub-ledger key (servicing.services.deposits.receipts). Run it
once after deploying; running it again posts nothing twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from servicing.services.deposits.receipts import deposit_openings_post


class Command(BaseCommand):
    help = "Post dealer deposits' opening balances (idempotent)."

    def handle(self, *args, **options):
        posted = deposit_openings_post()
        self.stdout.write(f"deposit opening balances posted: {posted}")
