"""The demo's dealer deposits on the books: the ¥200,000 each active dealer's agreements record
as held, posted as opening balances on `dealer_deposit` (the dealer's sub-ledger), so the
portal shows required / held / due from the ledger's own figures."""

from __future__ import annotations

from servicing.services.deposits.receipts import deposit_openings_post


def deposits_seed(*, stdout, context: dict) -> None:
    posted = deposit_openings_post()
    stdout.write(f"  dealer deposit opening balances: {posted}\n")
