"""Read queries for the complaint pages: the agents' queue (breached first, then the nearest
deadline), a complaint with its trail, a customer's own complaints."""

from __future__ import annotations

from django.db.models import IntegerField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from servicing.models.customers import (
    Complaint,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintStatus,
)
from servicing.services.complaints.batch import breaches_sql


def complaint_queue(*, status: str = "", category: str = "", channel: str = "", mine_only_for=None):
    now = timezone.now()
    breached = breaches_sql("%s", '"servicing_complaint"')
    qs = Complaint.objects.select_related("customer", "loan", "assigned_to").annotate(
        breaches=RawSQL(breached, [now] * 4, output_field=IntegerField())  # noqa: S611 - constant SQL
    )
    qs = qs.filter(status=status) if status else qs.exclude(status=ComplaintStatus.CLOSED)
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channel=channel)
    if mine_only_for is not None:
        qs = qs.filter(Q(assigned_to=mine_only_for) | Q(assigned_to__isnull=True))
    return qs.order_by("-breaches", "-escalation_level", "resolve_due_at", "id")


def customer_complaints(*, user):
    return (
        Complaint.objects.filter(customer=user)
        .select_related("loan")
        .order_by("-received_at", "-id")
    )


def customer_complaint(*, user, complaint_id: int) -> Complaint | None:
    return Complaint.objects.filter(customer=user, pk=complaint_id).select_related("loan").first()


def next_deadline(complaint: Complaint):
    """The deadline the complaint is working against now (none once resolved)."""
    if complaint.status == ComplaintStatus.RECEIVED:
        return complaint.acknowledge_due_at
    if complaint.status == ComplaintStatus.ACKNOWLEDGED:
        return complaint.resolve_due_at
    return None


def customer_complaint_trail(*, customer):
    """The trails of a customer's complaints for their timeline; `received` is the complaint's
    own item there, so it is left out."""
    return (
        ComplaintEvent.objects.filter(complaint__customer=customer)
        .exclude(kind=ComplaintEventKind.RECEIVED)
        .select_related("complaint")
    )
