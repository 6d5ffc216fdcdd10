"""servicing's models, one module per area; import them from here (`from servicing.models import X`)."""

from servicing.models.ledger import (
    AccountCode,
    AccountType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
    SourceType,
)

__all__ = [
    "AccountCode",
    "AccountType",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "Side",
    "SourceType",
]
