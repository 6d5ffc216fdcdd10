"""Shared platform models, one module per area: users, the audit trail, the business date,
outbound messages, policy values, idempotency records, four-eyes requests and the security log.

Django loads an app's models from this package, so it imports every model module; the names are
imported from here (`from autofin.models import User`), as in the other apps' model packages.
"""

from autofin.models.approvals import ApprovalRequest
from autofin.models.audit import AuditEntry
from autofin.models.calendar import BusinessCalendar
from autofin.models.idempotency import IdempotencyRecord
from autofin.models.messages import OutboundMessage
from autofin.models.policy import PolicyValue
from autofin.models.security import SecurityEvent, SecurityEventKind
from autofin.models.users import User

__all__ = [
    "ApprovalRequest",
    "AuditEntry",
    "BusinessCalendar",
    "IdempotencyRecord",
    "OutboundMessage",
    "PolicyValue",
    "SecurityEvent",
    "SecurityEventKind",
    "User",
]
