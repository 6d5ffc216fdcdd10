"""The audit trail: one helper that every state change calls inside its own transaction."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from autofin.models import AuditEntry

SYSTEM_ACTOR = "system"

# Facts every audit row written in the current context also carries: while an approved
# four-eyes request executes (autofin.approvals), the rows its action writes name both the maker
# and the checker, whatever service writes them.
audit_context: ContextVar[dict | None] = ContextVar("audit_context", default=None)


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """Write one audit row. `actor` is a user, or a string naming a system actor.

    It deliberately opens no transaction of its own: the row commits or rolls back with the
    change it describes.
    """
    entry = audit_entry_build(
        actor=actor,
        obj=obj,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )
    entry.save(force_insert=True)
    return entry


def audit_entry_build(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """The audit row `audit_record` writes, unsaved: for a hot path that inserts it in the same
    statement as the change it describes (it must still be written in that transaction)."""
    user = actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None
    label = user.get_username() if user is not None else str(actor or SYSTEM_ACTOR)
    return AuditEntry(
        actor=user,
        actor_label=label[:150],
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        reason=reason,
        data={**(data or {}), **(audit_context.get() or {})},
    )
