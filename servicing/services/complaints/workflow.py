"""A complaint from intake to the customer's confirmation. Every action is authorised here (by
role and by object, the same for pages and API), locks the row, and writes one ComplaintEvent.

received → acknowledged (处理中) → resolved (待客户确认) → closed, or reopened → acknowledged.
Agents (贷后客服) handle complaints assigned to them or not yet assigned; a care supervisor
(客服主管) any. Extending to the maximum needs a care supervisor and texts the customer."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.notifications import notification_send
from autofin.refs import complaint_ref_make
from autofin.roles import Role, user_has_role
from servicing.models.customers import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPriority,
    ComplaintStatus,
)
from servicing.services.complaints import ComplaintError
from servicing.services.complaints.sla import acknowledge_due, resolve_due
from servicing.services.complaints.surveys import survey_invite_complaint

HANDLERS = (Role.SERVICING_AGENT, Role.CARE_SUPERVISOR)
REVIEWERS = (Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER)


def is_handler(user) -> bool:
    return user.is_superuser or user_has_role(user, *HANDLERS)


def is_supervisor(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.CARE_SUPERVISOR)


def _event(complaint: Complaint, kind: str, actor: Any = None, note: str = "") -> None:
    ComplaintEvent.objects.create(complaint=complaint, kind=kind, actor=actor, note=note)


def complaint_create(
    *,
    customer: Any,
    channel: str,
    category: str,
    summary: str,
    detail: str = "",
    priority: str = ComplaintPriority.NORMAL,
    loan: Any = None,
    dealer_id: int | None = None,
    created_by: Any = None,
) -> Complaint:
    """Receive a complaint; the caller has checked the customer and loan belong to the channel's
    user (the customer themself, an agent, or the dealer of the loan)."""
    if channel not in ComplaintChannel.values:
        raise ComplaintError(_("请选择投诉渠道。"), field="channel")
    if category not in ComplaintCategory.values:
        raise ComplaintError(_("请选择投诉类别。"), field="category")
    if priority not in ComplaintPriority.values:
        raise ComplaintError(_("请选择优先级。"), field="priority")
    if not summary.strip():
        raise ComplaintError(_("请填写投诉摘要。"), field="summary")
    if loan is not None and loan.customer_id != customer.pk:
        raise ComplaintError(_("该合同不属于此客户。"), field="loan")
    now = timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            reference=uuid.uuid4().hex[:30],
            customer=customer,
            loan=loan,
            dealer_id=dealer_id,
            channel=channel,
            category=category,
            priority=priority,
            summary=summary.strip()[:200],
            detail=detail.strip(),
            received_at=now,
            acknowledge_due_at=acknowledge_due(now),
            resolve_due_at=resolve_due(now),
            # a complaint about collections on a loan stops collection contact until reviewed
            pauses_collections=category == ComplaintCategory.COLLECTION and loan is not None,
            created_by=created_by,
        )
        complaint.reference = complaint_ref_make(
            year=timezone.localtime(now).year, serial=complaint.pk
        )
        complaint.save(update_fields=["reference"])
        _event(complaint, "received", created_by, complaint.get_channel_display())
        if complaint.pauses_collections:
            _event(complaint, "collections_paused", created_by)
    return complaint


def _locked(complaint_id: int, actor: Any, *, supervisor: bool = False) -> Complaint:
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise ComplaintError(_("投诉不存在。"))
    if supervisor:
        if not is_supervisor(actor):
            raise ComplaintError(_("仅客服主管可执行此操作。"))
    elif not is_handler(actor):
        raise ComplaintError(_("仅贷后客服或客服主管可处理投诉。"))
    elif complaint.assigned_to_id not in (None, actor.pk) and not is_supervisor(actor):
        raise ComplaintError(_("该投诉已分配给其他经办人。"))
    return complaint


def _open(complaint: Complaint) -> None:
    if complaint.status == ComplaintStatus.CLOSED:
        raise ComplaintError(_("投诉已办结。"))


def complaint_assign(*, complaint_id: int, actor: Any, assignee: Any) -> Complaint:
    """A supervisor assigns to any agent; an agent may only take an unassigned one."""
    with transaction.atomic():
        complaint = _locked(complaint_id, actor)
        _open(complaint)
        if not is_handler(assignee):
            raise ComplaintError(_("只能分配给贷后客服或客服主管。"), field="assignee")
        if assignee.pk != actor.pk and not is_supervisor(actor):
            raise ComplaintError(_("仅客服主管可将投诉分配给他人。"), field="assignee")
        complaint.assigned_to = assignee
        complaint.save(update_fields=["assigned_to"])
        _event(complaint, "assigned", actor, str(assignee))
    return complaint


def complaint_acknowledge(*, complaint_id: int, actor: Any) -> Complaint:
    with transaction.atomic():
        complaint = _locked(complaint_id, actor)
        if complaint.status != ComplaintStatus.RECEIVED:
            raise ComplaintError(_("只有待受理的投诉可以受理。"))
        complaint.status = ComplaintStatus.ACKNOWLEDGED
        complaint.acknowledged_at = timezone.now()
        complaint.assigned_to_id = complaint.assigned_to_id or actor.pk
        complaint.save(update_fields=["status", "acknowledged_at", "assigned_to"])
        _event(complaint, "acknowledged", actor)
    return complaint


def complaint_extend(*, complaint_id: int, actor: Any, days: int, reason: str) -> Complaint:
    """Extend the resolution deadline: to the extended days (a complex case, any handler, with
    a reason) or the maximum (a care supervisor only, and the customer is told by SMS)."""
    sla = settings.COMPLAINT_SLA
    if days not in (sla["extended_days"], sla["max_days"]):
        raise ComplaintError(_("延期只能延长至规定天数。"), field="days")
    if not reason.strip():
        raise ComplaintError(_("请填写延期原因。"), field="reason")
    to_max = days == sla["max_days"]
    with transaction.atomic():
        complaint = _locked(complaint_id, actor, supervisor=to_max)
        if complaint.status not in (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED):
            raise ComplaintError(_("只有处理中的投诉可以延期。"))
        due = resolve_due(complaint.received_at, days)
        if due <= complaint.resolve_due_at:
            raise ComplaintError(_("办结时限已不早于该期限。"), field="days")
        complaint.resolve_due_at = due
        complaint.extension_reason = reason.strip()[:200]
        complaint.extension_approved_by = actor
        complaint.save(
            update_fields=["resolve_due_at", "extension_reason", "extension_approved_by"]
        )
        _event(complaint, "extended", actor, f"{days}: {complaint.extension_reason}")
        if to_max and complaint.customer.phone:
            notification_send(
                channel="sms",
                to=complaint.customer.phone,
                body=_(
                    "【AutoFin】您的投诉 %(ref)s 情况较复杂，办结时限延长至 %(due)s。"
                    "如有疑问请致电客服。"
                )
                % {"ref": complaint.reference, "due": f"{timezone.localtime(due):%Y-%m-%d}"},
                purpose="complaint_extended",
                respect_quiet_hours=True,
                dedupe_key=f"complaint:{complaint.pk}:extended:{days}",
            )
    return complaint


def complaint_resolve(*, complaint_id: int, actor: Any, resolution: str) -> Complaint:
    if not resolution.strip():
        raise ComplaintError(_("请填写处理结果。"), field="resolution")
    with transaction.atomic():
        complaint = _locked(complaint_id, actor)
        if complaint.status != ComplaintStatus.ACKNOWLEDGED:
            raise ComplaintError(_("请先受理投诉，再填写处理结果。"))
        complaint.status = ComplaintStatus.RESOLVED
        complaint.resolution = resolution.strip()
        complaint.resolved_at = timezone.now()
        complaint.save(update_fields=["status", "resolution", "resolved_at"])
        _event(complaint, "resolved", actor, complaint.resolution)
    return complaint


def _customer_locked(complaint_id: int, customer: Any) -> Complaint:
    complaint = (
        Complaint.objects.select_for_update().filter(pk=complaint_id, customer=customer).first()
    )
    if complaint is None:
        raise ComplaintError(_("投诉不存在。"))
    if complaint.status != ComplaintStatus.RESOLVED:
        raise ComplaintError(_("该投诉尚无待确认的处理结果。"))
    return complaint


def complaint_confirm(*, complaint_id: int, customer: Any) -> Complaint:
    """The customer accepts the resolution: closed, and a satisfaction survey invited."""
    with transaction.atomic():
        complaint = _customer_locked(complaint_id, customer)
        now = timezone.now()
        complaint.status = ComplaintStatus.CLOSED
        complaint.customer_confirmed_at = now
        complaint.closed_at = now
        complaint.save(update_fields=["status", "customer_confirmed_at", "closed_at"])
        _event(complaint, "confirmed", customer)
        survey_invite_complaint(complaint_id=complaint.pk)
    return complaint


def complaint_reopen(*, complaint_id: int, customer: Any, reason: str) -> Complaint:
    """The customer is not satisfied: back to handling, the deadlines unchanged."""
    if not reason.strip():
        raise ComplaintError(_("请说明不满意的原因。"), field="reason")
    with transaction.atomic():
        complaint = _customer_locked(complaint_id, customer)
        complaint.status = ComplaintStatus.ACKNOWLEDGED
        complaint.resolved_at = None
        complaint.save(update_fields=["status", "resolved_at"])
        _event(complaint, "reopened", customer, reason.strip())
    return complaint


def collections_review(*, complaint_id: int, actor: Any, note: str) -> Complaint:
    """A care supervisor or compliance officer reviews the collections complaint: contact on the
    loan may resume."""
    if not (actor.is_superuser or user_has_role(actor, *REVIEWERS)):
        raise ComplaintError(_("仅客服主管或合规专员可复核催收暂停。"))
    if not note.strip():
        raise ComplaintError(_("请填写复核意见。"), field="note")
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
        if complaint is None or not complaint.pauses_collections:
            raise ComplaintError(_("该投诉未暂停催收。"))
        if complaint.collections_reviewed_at is not None:
            raise ComplaintError(_("已复核。"))
        complaint.collections_reviewed_at = timezone.now()
        complaint.save(update_fields=["collections_reviewed_at"])
        _event(complaint, "collections_reviewed", actor, note.strip())
    return complaint
