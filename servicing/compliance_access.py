"""Who may see and who may decide compliance cases (screening hits, AML alerts): the one rule the
compliance pages and the compliance API both ask. The compliance officer reads and decides; the
auditor reads the queue and the cases but decides nothing and downloads no report file (it
carries full ID numbers)."""

from __future__ import annotations

from autofin.roles import Role, user_has_role

READERS = (Role.COMPLIANCE_OFFICER, Role.AUDITOR)
DECIDERS = (Role.COMPLIANCE_OFFICER,)


def compliance_can_read(user) -> bool:
    return bool(user and user.is_authenticated and user_has_role(user, *READERS))


def compliance_can_decide(user) -> bool:
    return bool(user and user.is_authenticated and user_has_role(user, *DECIDERS))
