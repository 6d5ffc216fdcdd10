"""Four eyes (maker-checker), configurable per action, after Fineract's "maker checker".

An action that may need a second person (publishing a product version, restructuring a loan,
promoting a scorecard, changing the decision strategy) is registered here by the app that owns
it: a name, the policy key that switches four eyes on or off for it (``four_eyes.<...>`` in
``autofin.policy.POLICIES``), who may make and check it, how to show what it will change, and the
executor: the app's own service function. autofin imports no higher app; each app registers its
actions from its AppConfig.ready().

Pages, the admin and the API call `four_eyes_submit()`:
- policy off: the executor runs at once (it audits as usual);
- policy on: an `ApprovalRequest` (pending) is stored and nothing else changes. A different
  authorised user's `approval_request_approve()` runs the executor with the stored payload in one
  transaction; every audit row it writes names both the maker and the checker.

The executors call `four_eyes_gate(name)` first, so calling one directly while four eyes is on
(from a page written later, say) refuses instead of acting alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_context, audit_record
from autofin.models import ApprovalRequest
from autofin.policy import POLICIES, policy_value


class ApprovalError(Exception):
    """A four-eyes step that cannot be done; `message` is fit to show the user."""

    def __init__(self, message, *, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


class FourEyesRequired(ApprovalError):
    """An executor was called directly while its action needs a second person."""


@dataclass(frozen=True)
class Change:
    """One line of "what will change" shown to the checker: label, before → after."""

    label: Any
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return str(self.before) != str(self.after)


@dataclass(frozen=True)
class FourEyesAction:
    name: str
    label: Any
    policy_key: str
    # execute(*, actor, maker, target, payload) -> result. Runs the owning app's service; raises
    # ApprovalError (with a user-facing message) for a business refusal.
    execute: Callable[..., Any]
    # authorised(user, target) -> bool: may this user make or check it (same authority; the
    # database makes sure the checker is someone else).
    authorised: Callable[[Any, models.Model], bool]
    # describe(target, payload) -> list[Change]: what approving would change, as of now.
    describe: Callable[[models.Model, dict], list[Change]]
    # url(target) -> str: the page where the object is seen (optional).
    url: Callable[[models.Model], str] | None = None
    # title(target) -> str: how the card names the object (optional; default str(target), which
    # for some models is a code the checker cannot read).
    title: Callable[[models.Model], str] | None = None


_ACTIONS: dict[str, FourEyesAction] = {}
# The request whose action is executing now (its gate lets it through).
_executing: ContextVar[ApprovalRequest | None] = ContextVar("four_eyes_executing", default=None)
_waived: ContextVar[str | None] = ContextVar("four_eyes_waived", default=None)


def four_eyes_action_register(action: FourEyesAction) -> FourEyesAction:
    if action.policy_key not in POLICIES or POLICIES[action.policy_key].kind is not bool:
        raise ImproperlyConfigured(f"{action.name}: declare bool policy {action.policy_key!r}")
    _ACTIONS[action.name] = action
    return action


def four_eyes_action(name: str) -> FourEyesAction:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise ImproperlyConfigured(f"unknown four-eyes action {name!r}") from None


def four_eyes_on(name: str) -> bool:
    """Does `name` need a second person today (its policy on the current business date)?"""
    return bool(policy_value(four_eyes_action(name).policy_key))


def four_eyes_gate(name: str) -> None:
    """First line of every executor: refuse to act alone while four eyes is on."""
    running = _executing.get()
    if running is not None and running.action == name:
        return
    if _waived.get() is not None:
        return
    if four_eyes_on(name):
        raise FourEyesRequired(_("该操作需双人复核，请提交复核申请。"), code="four_eyes")


@contextmanager
def four_eyes_waived(why: str) -> Iterator[None]:
    """Installation only (the demo seed builds its book before anyone can check anything);
    every audit row written meanwhile says so. No page, API or task uses it."""
    token = _waived.set(why)
    context = audit_context.set({**(audit_context.get() or {}), "four_eyes_waived": why})
    try:
        yield
    finally:
        audit_context.reset(context)
        _waived.reset(token)


@dataclass(frozen=True)
class Submission:
    """What `four_eyes_submit` did: stored a request (four eyes on) or acted (`result`)."""

    request: ApprovalRequest | None
    result: Any = None

    @property
    def pending(self) -> bool:
        return self.request is not None


def _user(actor):
    if not getattr(actor, "pk", None) or not getattr(actor, "is_authenticated", False):
        raise ApprovalError(_("请先登录。"), code="forbidden")
    return actor


def four_eyes_submit(
    *, action: str, actor: Any, target: models.Model, payload: dict, reason: str = ""
) -> Submission:
    """The one entry for a four-eyes action: a pending request, or the action done at once."""
    spec = four_eyes_action(action)
    user = _user(actor)
    if not spec.authorised(user, target):
        raise ApprovalError(_("您没有办理该操作的权限。"), code="forbidden")
    if not four_eyes_on(action):
        # The same executor an approval runs, in one transaction as an approval is.
        with transaction.atomic():
            result = spec.execute(actor=user, maker=user, target=target, payload=payload)
        return Submission(request=None, result=result)
    with transaction.atomic():
        # Show the checker the same refusal the maker would meet now, before anyone waits on it.
        spec.describe(target, payload)
        try:
            with transaction.atomic():
                request = ApprovalRequest.objects.create(
                    action=action,
                    content_type=ContentType.objects.get_for_model(target),
                    object_id=target.pk,
                    target_repr=(spec.title(target) if spec.title else str(target))[:200],
                    payload=payload,
                    maker=user,
                    maker_reason=reason or "",
                )
        except IntegrityError as exc:
            raise ApprovalError(
                _("该对象已有一笔待复核的同类申请，请等待复核或撤回后再提交。"), code="duplicate"
            ) from exc
        audit_record(
            actor=user,
            obj=request,
            action="four_eyes_submit",
            to_state=ApprovalRequest.Status.PENDING,
            reason=reason or "",
            data={"action": action, "target": request.target_repr, "payload": request.payload},
        )
    return Submission(request=request)


def _locked_pending(request_id: int) -> ApprovalRequest:
    request = (
        # Only the request row: not the maker's user row nor the shared content-type row.
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("maker", "content_type")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise ApprovalError(_("复核申请不存在。"), code="not_found")
    if request.status != ApprovalRequest.Status.PENDING:
        raise ApprovalError(_("该申请已处理，不能重复操作。"), code="decided")
    return request


def _check_allowed(request: ApprovalRequest, checker) -> FourEyesAction:
    spec = four_eyes_action(request.action)
    if checker.pk == request.maker_id:
        raise ApprovalError(_("不能复核自己提交的申请。"), code="own_request")
    target = request.target
    if target is None:
        raise ApprovalError(_("申请对象已不存在。"), code="not_found")
    if not spec.authorised(checker, target):
        raise ApprovalError(_("您没有复核该操作的权限。"), code="forbidden")
    return spec


def approval_request_approve(*, request_id: int, checker: Any, reason: str = "") -> Any:
    """Approve and execute, in one transaction: if the action refuses, nothing changes and the
    request stays pending (the checker may then reject it). Returns the action's result."""
    checker = _user(checker)
    with transaction.atomic():
        request = _locked_pending(request_id)
        spec = _check_allowed(request, checker)
        both = {
            "four_eyes": {
                "request": request.pk,
                "action": request.action,
                "maker": request.maker.get_username(),
                "checker": checker.get_username(),
            }
        }
        running = _executing.set(request)
        context = audit_context.set({**(audit_context.get() or {}), **both})
        try:
            result = spec.execute(
                actor=checker, maker=request.maker, target=request.target, payload=request.payload
            )
        finally:
            audit_context.reset(context)
            _executing.reset(running)
        request.status = ApprovalRequest.Status.APPROVED
        request.checker = checker
        request.check_reason = reason or ""
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "checker", "check_reason", "decided_at"])
        audit_record(
            actor=checker,
            obj=request,
            action="four_eyes_approve",
            from_state=ApprovalRequest.Status.PENDING,
            to_state=ApprovalRequest.Status.APPROVED,
            reason=reason or "",
            data=both,
        )
    return result


def approval_request_reject(*, request_id: int, checker: Any, reason: str) -> ApprovalRequest:
    """Refuse the request (a reason is required); the target is left exactly as it was."""
    checker = _user(checker)
    if not (reason or "").strip():
        raise ApprovalError(_("请填写驳回原因。"), code="reason")
    with transaction.atomic():
        request = _locked_pending(request_id)
        _check_allowed(request, checker)
        request.status = ApprovalRequest.Status.REJECTED
        request.checker = checker
        request.check_reason = reason.strip()
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "checker", "check_reason", "decided_at"])
        audit_record(
            actor=checker,
            obj=request,
            action="four_eyes_reject",
            from_state=ApprovalRequest.Status.PENDING,
            to_state=ApprovalRequest.Status.REJECTED,
            reason=request.check_reason,
            data={"maker": request.maker.get_username(), "checker": checker.get_username()},
        )
    return request


def approval_request_cancel(*, request_id: int, actor: Any, reason: str = "") -> ApprovalRequest:
    """The maker withdraws their own pending request."""
    actor = _user(actor)
    with transaction.atomic():
        request = _locked_pending(request_id)
        if actor.pk != request.maker_id:
            raise ApprovalError(_("只能撤回自己提交的申请。"), code="forbidden")
        request.status = ApprovalRequest.Status.CANCELLED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        audit_record(
            actor=actor,
            obj=request,
            action="four_eyes_cancel",
            from_state=ApprovalRequest.Status.PENDING,
            to_state=ApprovalRequest.Status.CANCELLED,
            reason=reason or "",
        )
    return request


# --- reads for pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class PendingItem:
    request: ApprovalRequest
    label: Any
    changes: list[Change]
    url: str
    may_check: bool
    own: bool
    error: str = ""


def approval_requests_pending_for(user) -> list[PendingItem]:
    """Pending requests the user may check, and their own (to withdraw), each with what
    approving would change as of now."""
    items = []
    qs = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).select_related(
        "maker", "content_type"
    )
    for request in qs.order_by("made_at", "id"):
        spec = _ACTIONS.get(request.action)
        target = request.target
        if spec is None or target is None:
            continue
        own = request.maker_id == user.pk
        may_check = not own and spec.authorised(user, target)
        if not (own or may_check):
            continue
        error = ""
        try:
            changes = spec.describe(target, request.payload)
        except ApprovalError as exc:
            changes, error = [], str(exc.message)
        items.append(
            PendingItem(
                request=request,
                label=spec.label,
                changes=changes,
                url=spec.url(target) if spec.url else "",
                may_check=may_check,
                own=own,
                error=error,
            )
        )
    return items


def approval_request_pending_for(*, action: str, target: models.Model) -> ApprovalRequest | None:
    """The open request for this action on this object, if any (for the object's own page)."""
    return ApprovalRequest.objects.filter(
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        status=ApprovalRequest.Status.PENDING,
    ).first()
