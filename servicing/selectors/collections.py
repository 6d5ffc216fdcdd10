"""Read queries for the collectors' pages: the open cases of a queue, the count per queue, a
case's contact history."""

from __future__ import annotations

from django.db.models import Count, Q

from servicing.models.collections import CollectionCase, ContactAttempt


def collections_queue(*, user, queue: str | None = None):
    """The collector's open cases, best likelihood to pay first (a broken promise re-queued
    today comes first)."""
    qs = CollectionCase.objects.filter(status=CollectionCase.Status.OPEN).select_related(
        "loan", "loan__customer", "assigned_to"
    )
    if not user.is_superuser:
        qs = qs.filter(Q(assigned_to=user))
    if queue:
        qs = qs.filter(queue=queue)
    return qs.order_by("-requeued_on", "-score", "-dpd", "id")


def queue_counts(*, user) -> dict[str, int]:
    qs = CollectionCase.objects.filter(status=CollectionCase.Status.OPEN)
    if not user.is_superuser:
        qs = qs.filter(assigned_to=user)
    return dict(qs.values_list("queue").annotate(n=Count("id")).values_list("queue", "n"))


def case_history(case: CollectionCase):
    return ContactAttempt.objects.filter(case__loan=case.loan).select_related("collector")
