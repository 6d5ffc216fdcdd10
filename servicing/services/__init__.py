"""servicing's write use cases, one module per area; import them from here."""

from servicing.services.ledger import (
    EntrySpec,
    IdempotencyConflictError,
    InvalidLineError,
    LedgerError,
    UnbalancedEntryError,
    UnknownAccountError,
    journal_entry_reverse,
    journal_post,
    journal_post_many,
)

__all__ = [
    "EntrySpec",
    "IdempotencyConflictError",
    "InvalidLineError",
    "LedgerError",
    "UnbalancedEntryError",
    "UnknownAccountError",
    "journal_entry_reverse",
    "journal_post",
    "journal_post_many",
]
