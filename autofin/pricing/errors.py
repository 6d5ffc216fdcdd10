"""Errors raised by the pricing engine.

Every error carries a stable machine-readable ``code`` (API responses and form errors map it to a
translated message) and an English ``message`` for logs and developers.
"""

from __future__ import annotations


class PricingError(ValueError):
    """Invalid pricing input or a request the engine refuses to price.

    Subclasses ``ValueError`` so generic input-validation handlers still catch it.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EarlySettlementLockedError(PricingError):
    """Early settlement requested inside the contract's lock-in period."""

    def __init__(self, message: str) -> None:
        super().__init__("early_settlement_locked", message)
