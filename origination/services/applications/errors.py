"""How an intake step says no: field-level messages (``ApplicationValidationError``), or an
application past the point of editing (``ApplicationNotEditableError``)."""

from __future__ import annotations

from collections.abc import Mapping


class ApplicationValidationError(Exception):
    """Field-level problems: {"field": ["message", ...]}; "__all__" for the whole step."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {k: [str(m) for m in v] for k, v in errors.items() if v}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ApplicationNotEditableError(Exception):
    """The application is past the draft (or waiting for documents) and cannot be edited."""


def errors_add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(str(message))
