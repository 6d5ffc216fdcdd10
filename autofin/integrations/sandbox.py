"""Sandbox adapters exist only with AUTOFIN_SANDBOX=1.

A sandbox pays, verifies and scores on request: configured by mistake in production it would
mark orders paid and people verified. So a sandbox class refuses to be built without the flag,
whatever setting named it (the deploy checks refuse the configuration before that).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def sandbox_required(what: str) -> None:
    if not settings.AUTOFIN_SANDBOX:
        raise ImproperlyConfigured(
            f"{what} is a sandbox: it exists only with AUTOFIN_SANDBOX=1 "
            "(development, tests, the demo); configure the production adapter instead."
        )


class SandboxOnly:
    """Mixin for sandbox adapters: instantiating one without AUTOFIN_SANDBOX=1 raises."""

    def __new__(cls, *args, **kwargs):  # noqa: ARG004 - __init__ takes them
        sandbox_required(f"{cls.__module__}.{cls.__qualname__}")
        return super().__new__(cls)
