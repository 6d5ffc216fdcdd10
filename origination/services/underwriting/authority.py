"""Who may act on a case: underwriters only, without a conflict of interest, within their
authority limit, and on a case they hold (the application's row locked first)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from origination.models.applications import Application, ApplicationStatus
from origination.models.underwriting import AuthorityLimit, UnderwritingCase

S = ApplicationStatus


UNDERWRITING_ROLES = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)


def _default_authority(role: str) -> Decimal | None:
    """No AuthorityLimit row for a role: the business policy's limit (senior: no limit)."""
    if role == Role.SENIOR_UNDERWRITER:
        return None
    return policy_value("origination.underwriter_authority_limit")


class UnderwritingError(Exception):
    """An action the rules refuse: {"field": [message]} ("__all__" for the whole action)."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ClaimConflictError(UnderwritingError):
    """Somebody else holds the case."""


class AuthorityError(UnderwritingError):
    """The amount is above the underwriter's limit, or the underwriter has a conflict."""


def authority_limit_for(user) -> Decimal | None:
    """The user's approval limit: the highest of their underwriting roles' limits (None: no
    limit). A user with no underwriting role has limit 0."""
    limits: list[Decimal | None] = []
    rows = {r.role: r.max_amount for r in AuthorityLimit.objects.all()}
    for role in UNDERWRITING_ROLES:
        if user_has_role(user, role) and not getattr(user, "is_superuser", False):
            limits.append(rows[role] if role in rows else _default_authority(role))
    if getattr(user, "is_superuser", False):
        return None
    if not limits:
        return Decimal("0.00")
    if any(limit is None for limit in limits):
        return None
    return max(limits)


def conflict_of_interest(*, user, application: Application) -> str:
    """Why ``user`` may not decide ``application`` ('' if they may)."""
    if application.created_by_id == user.pk or application.salesperson_id == user.pk:
        return _("您是该申请的创建人，不能审批。")
    if application.customer_id == user.pk:
        return _("您是该申请的申请人，不能审批。")
    if (
        application.dealer_id
        and Application.objects.filter(
            pk=application.pk, dealer__account_manager_id=user.pk
        ).exists()
    ):
        return _("您是该经销商的渠道客户经理，不能审批其申请。")
    return ""


def require_underwriter(actor) -> None:
    if not user_has_role(actor, *UNDERWRITING_ROLES):
        raise AuthorityError(_("只有审批员可以操作审批案件。"))


def check_conflict(actor, app: Application) -> None:
    why = conflict_of_interest(user=actor, application=app)
    if why:
        raise AuthorityError(why)


def check_amount(actor, amount: Decimal | None) -> None:
    limit = authority_limit_for(actor)
    if limit is not None and (amount is None or amount > limit):
        raise AuthorityError(
            {
                "__all__": [
                    _("融资额 ¥%(amount)s 超出您的审批权限（¥%(limit)s），请转高级审批员。")
                    % {"amount": f"{amount or 0:,.2f}", "limit": f"{limit:,.2f}"}
                ]
            }
        )


def check_escalation(actor, case: UnderwritingCase) -> None:
    """An escalated case (转高级) is for the senior underwriters only."""
    if case.escalated_at is not None and not user_has_role(actor, Role.SENIOR_UNDERWRITER):
        raise AuthorityError(_("该案件已转高级审批员，仅高级审批员可处理。"))


def lock_case(application_id: int) -> tuple[Application, UnderwritingCase]:
    """Lock the application row (the one lock every workbench action takes first), then get or
    make its case."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("dealer")
        .get(pk=application_id)
    )
    case, _created = UnderwritingCase.objects.get_or_create(application=app)
    return app, case


def lock_for_decision(application_id: int, actor) -> tuple[Application, UnderwritingCase]:
    require_underwriter(actor)
    app, case = lock_case(application_id)
    if app.status != S.REFERRED:
        raise UnderwritingError(
            _("申请当前状态为“%(status)s”，不在审批队列中。") % {"status": app.get_status_display()}
        )
    check_conflict(actor, app)
    check_escalation(actor, case)
    if case.assigned_to_id != actor.pk:
        raise UnderwritingError(_("请先领取该案件。"))
    return app, case
