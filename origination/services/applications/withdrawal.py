"""The customer (or their salesperson) withdraws an application."""

from __future__ import annotations

from typing import Any

from origination.models.applications import Application, ApplicationStatus
from origination.services.state import application_transition

S = ApplicationStatus


def application_withdraw(*, actor: Any, application: Application, reason: str = "") -> Application:
    app = application_transition(
        application=application, to_status=S.WITHDRAWN, actor=actor, reason=reason or "withdrawn"
    )
    return app
