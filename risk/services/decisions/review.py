"""A customer's request for a human review of an automated decision."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from autofin.audit import audit_record
from risk.models import Decision, DecisionReviewRequest
from risk.services.decisions.make import DecisionError


def decision_review_request(
    *, decision_id: int, reason: str, actor: Any = "customer"
) -> DecisionReviewRequest:
    """Record a customer's request for a human review of an automated decision (one open
    request per decision: asking again returns the open one)."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("a reason is required")
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision_id)
        open_request = decision.review_requests.filter(
            status=DecisionReviewRequest.Status.OPEN
        ).first()
        if open_request is not None:
            return open_request
        request = DecisionReviewRequest.objects.create(decision=decision, reason=reason)
        audit_record(
            actor=actor,
            obj=decision,
            action="decision_review_request",
            from_state=decision.outcome,
            to_state="review_requested",
            reason=reason,
        )
    return request
