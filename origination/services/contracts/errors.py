"""How a contract use case says no (``ContractError`` and its two kinds)."""

from __future__ import annotations


class ContractError(Exception):
    """The contract cannot be made or changed: {"field": [message]}."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ContractSignedError(ContractError):
    """A signed contract's terms cannot be edited: amend (a new version) instead."""


class ContractSignError(ContractError):
    """Signing refused (wrong code, not the customer, wrong status); nothing changed."""
