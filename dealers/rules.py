"""Who may do what to a dealer: the lifecycle transition table and the role checks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from autofin.roles import Role, user_has_role
from dealers.models.dealers import DealerStatus as S


class DealerError(Exception):
    """A business rule refused the request; `message` is a user-facing Chinese msgid."""

    def __init__(self, message, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field


class DealerPermissionDenied(PermissionDenied):
    pass


AM = Role.ACCOUNT_MANAGER
SA = Role.SYSTEM_ADMIN

# (from, to) → roles that may make the transition. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[Role]] = {
    (S.APPLIED, S.UNDER_REVIEW): frozenset({AM, SA}),
    (S.UNDER_REVIEW, S.APPLIED): frozenset({AM, SA}),  # sent back for more documents
    (S.UNDER_REVIEW, S.ACTIVE): frozenset({AM, SA}),
    (S.UNDER_REVIEW, S.TERMINATED): frozenset({AM, SA}),  # onboarding declined
    (S.ACTIVE, S.SUSPENDED): frozenset({AM, SA}),
    (S.SUSPENDED, S.ACTIVE): frozenset({AM, SA}),
    (S.ACTIVE, S.TERMINATED): frozenset({SA}),
    (S.SUSPENDED, S.TERMINATED): frozenset({SA}),
}

# Back-office roles that see dealers (account managers only their own; the others all).
DEALER_BACK_OFFICE = frozenset({AM, SA})
BANK_ACCOUNT_MAKERS = frozenset({AM, Role.FINANCE_OPERATOR, SA})
BANK_ACCOUNT_CHECKERS = frozenset({AM, Role.FINANCE_APPROVER, SA})


def allowed_transitions(user, dealer) -> list[str]:
    return [
        to
        for (frm, to), roles in TRANSITIONS.items()
        if frm == dealer.status and user_has_role(user, *roles) and manages(user, dealer)
    ]


def manages(user, dealer) -> bool:
    """System admins manage every dealer; an account manager only the dealers assigned to them."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user_has_role(user, SA):
        return True
    return user_has_role(user, AM) and dealer.account_manager_id == user.pk


def require_manages(user, dealer) -> None:
    if not manages(user, dealer):
        raise DealerPermissionDenied(_("您不负责该经销商。"))


def require_role(user, roles, message=None) -> None:
    if not user_has_role(user, *roles):
        raise DealerPermissionDenied(message or _("您没有执行此操作的权限。"))
