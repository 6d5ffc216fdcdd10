"""The application state machine: the one place an application's status changes.

``TRANSITIONS`` is the table; ``application_transition`` checks it under a row lock, stamps the
stage's time, and writes an audit row and a timeline event in the same transaction. A change
the table does not list raises ``IllegalTransitionError`` and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.changes import change_announce
from origination.models.applications import Application, ApplicationEvent
from origination.models.applications import ApplicationStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset(
        {S.APPROVED, S.COUNTER_OFFERED, S.REFERRED, S.DECLINED, S.DOCUMENTS_REQUESTED, S.WITHDRAWN}
    ),
    S.REFERRED: frozenset(
        {S.APPROVED, S.COUNTER_OFFERED, S.DECLINED, S.DOCUMENTS_REQUESTED, S.WITHDRAWN}
    ),
    S.DOCUMENTS_REQUESTED: frozenset({S.UNDER_REVIEW, S.REFERRED, S.WITHDRAWN, S.CANCELLED}),
    S.APPROVED: frozenset({S.CONTRACT_SIGNED, S.WITHDRAWN, S.CANCELLED}),
    S.COUNTER_OFFERED: frozenset({S.APPROVED, S.DECLINED, S.WITHDRAWN, S.CANCELLED}),
    # approved again: the signed contract was superseded by a new version (changed terms)
    S.CONTRACT_SIGNED: frozenset({S.FUNDED, S.CANCELLED, S.APPROVED}),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CANCELLED: frozenset(),
    S.FUNDED: frozenset(),
}

TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
DECIDED = frozenset({S.APPROVED, S.COUNTER_OFFERED, S.DECLINED})
# what the customer or the dealer has to do in each status (shown on the detail pages)
NEXT_STEP = {
    S.DRAFT: _("请完成并提交申请。"),
    S.SUBMITTED: _("申请已提交，正在排队审批，无需操作。"),
    S.UNDER_REVIEW: _("系统正在审批，通常几分钟内完成。"),
    S.REFERRED: _("审批员正在人工审核，如需补充资料会通知您。"),
    S.DOCUMENTS_REQUESTED: _("请按通知补充资料。"),
    S.APPROVED: _("申请已批准，请等待签约通知。"),
    S.COUNTER_OFFERED: _("我们提出了调整后的方案，请确认是否接受。"),
    S.DECLINED: _("很遗憾，本次申请未获批准。"),
    S.WITHDRAWN: _("申请已撤回。"),
    S.CANCELLED: _("申请已取消。"),
    S.CONTRACT_SIGNED: _("合同已签署，等待放款。"),
    S.FUNDED: _("已放款，请按还款计划按时还款。"),
}
# the dealer's salesperson reads the same page: where the customer's line tells the customer what
# to do (or names the manual review, which the portal keeps neutral as 审核中), theirs says
# what is left for the dealer
DEALER_NEXT_STEP = {
    **NEXT_STEP,
    S.UNDER_REVIEW: _("审核中，如需补充资料会通知您。"),
    S.REFERRED: _("审核中，如需补充资料会通知您。"),
    S.APPROVED: _("申请已批准，请准备签约。"),
    S.COUNTER_OFFERED: _("我们提出了调整后的方案，请提醒客户查看并确认。"),
    S.FUNDED: _("已放款，无需操作。"),
}


class IllegalTransitionError(Exception):
    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"illegal transition {from_status} -> {to_status}")
        self.from_status = from_status
        self.to_status = to_status


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def _stamp(application: Application, to_status: str, now) -> list[str]:
    fields = ["status", "status_changed_at", "updated_at"]
    application.status_changed_at = now
    if to_status == S.SUBMITTED:
        application.submitted_at = now
        fields.append("submitted_at")
    if to_status in DECIDED and application.decided_at is None:
        application.decided_at = now
        fields.append("decided_at")
    if to_status == S.CONTRACT_SIGNED:
        application.contract_signed_at = now
        fields.append("contract_signed_at")
    if to_status == S.FUNDED:
        application.funded_at = now
        fields.append("funded_at")
    if to_status in TERMINAL:
        application.closed_at = now
        fields.append("closed_at")
    return fields


def application_transition(
    *,
    application: Application | int,
    to_status: str,
    actor: Any,
    reason: str = "",
    data: dict | None = None,
    extra_fields: dict | None = None,
) -> Application:
    """Move one application to ``to_status`` if the table allows it from its current status
    (read under a row lock). ``extra_fields`` are set on the row in the same save."""
    pk = application.pk if isinstance(application, Application) else int(application)
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=pk)
        from_status = app.status
        if not transition_allowed(from_status, to_status):
            raise IllegalTransitionError(from_status, to_status)
        now = timezone.now()
        app.status = to_status
        fields = _stamp(app, to_status, now)
        for name, value in (extra_fields or {}).items():
            setattr(app, name, value)
            fields.append(name)
        app.save(update_fields=sorted(set(fields)))
        audit_record(
            actor=actor,
            obj=app,
            action="application_transition",
            from_state=from_status,
            to_state=to_status,
            reason=reason,
            data=data,
        )
        event_record(
            application=app,
            kind="status",
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
        # wakes the customer's status request waiting on this application (after the commit)
        change_announce(application_status_topic(pk))
        return app


def application_status_topic(application_id: int) -> str:
    """The topic (autofin.changes) on which a change of this application's status is announced."""
    return f"application-status:{application_id}"


def event_record(
    *,
    application: Application,
    kind: str,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
) -> ApplicationEvent:
    user = actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None
    label = user.get_username() if user is not None else str(actor or SYSTEM_ACTOR)
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=user,
        actor_label=label[:150],
        reason=reason,
    )
