"""Read queries for the collectors' pages: the open cases of a queue, the count per queue, a
case's contact history."""

from __future__ import annotations

from django.db.models import BooleanField, Count, Q
from django.db.models.expressions import RawSQL

from servicing.models.collections import CollectionCase, CollectionQueue, ContactAttempt
from servicing.models.loans import LoanStatus
from servicing.services.complaints.pause import collections_paused_sql


def _open_cases(*, user):
    """Open cases of loans overdue now (loan status, the one past-due rule with its tolerance):
    a loan cured by a payment leaves the queue at once, its case closes in the night's batch.
    A collector sees their own cases and those not yet assigned (none falls out of sight)."""
    qs = CollectionCase.objects.filter(
        status=CollectionCase.Status.OPEN, loan__status=LoanStatus.OVERDUE
    )
    if not user.is_superuser:
        qs = qs.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    return qs


def collections_queue(*, user, queue: str | None = None):
    """The collector's open cases, best likelihood to pay first (a broken promise re-queued
    today comes first)."""
    qs = _open_cases(user=user).select_related("loan", "loan__customer", "assigned_to")
    # shown on the queue: contact on this loan is paused by a collections complaint
    paused = collections_paused_sql('"servicing_collectioncase"."loan_id"')
    qs = qs.annotate(contact_paused=RawSQL(paused, (), output_field=BooleanField()))  # noqa: S611 - a constant
    if queue:
        qs = qs.filter(queue=queue)
    return qs.order_by("-requeued_on", "-score", "-dpd", "id")


def queue_counts(*, user) -> dict[str, int]:
    """Open cases per queue, every queue named (0 when empty), and "all"."""
    found = dict(
        _open_cases(user=user)
        .values_list("queue")
        .annotate(n=Count("id"))
        .values_list("queue", "n")
    )
    counts = {code: found.get(code, 0) for code in CollectionQueue.values}
    counts["all"] = sum(counts.values())
    return counts


def case_history(case: CollectionCase):
    return ContactAttempt.objects.filter(case__loan=case.loan).select_related("collector")
