"""The application state machine, exhaustively over every (from, to) pair of statuses."""

from __future__ import annotations

import pytest
from django.utils import timezone

from autofin.models import AuditEntry
from origination.models.applications import Application, ApplicationEvent, ApplicationStatus
from origination.services.state import (
    TERMINAL,
    TRANSITIONS,
    IllegalTransitionError,
    application_transition,
)

pytestmark = pytest.mark.django_db

ALL = list(ApplicationStatus.values)


def _force(app: Application, status: str) -> None:
    Application.objects.filter(pk=app.pk).update(
        status=status, submitted_at=None if status == "draft" else timezone.now()
    )


def test_table_names_every_status():
    assert set(TRANSITIONS) == set(ALL)
    assert all(targets <= set(ALL) for targets in TRANSITIONS.values())
    assert {"declined", "withdrawn", "cancelled", "funded"} == TERMINAL


def test_every_pair_outside_the_table_is_refused_and_changes_nothing(draft):
    refused = 0
    for from_status in ALL:
        for to_status in ALL:
            if to_status in TRANSITIONS[from_status]:
                continue
            _force(draft, from_status)
            before = (
                Application.objects.values_list("status", "status_changed_at").get(pk=draft.pk),
                AuditEntry.objects.count(),
                ApplicationEvent.objects.count(),
            )
            with pytest.raises(IllegalTransitionError):
                application_transition(application=draft, to_status=to_status, actor="test")
            after = (
                Application.objects.values_list("status", "status_changed_at").get(pk=draft.pk),
                AuditEntry.objects.count(),
                ApplicationEvent.objects.count(),
            )
            assert after == before, (from_status, to_status)
            refused += 1
    legal = sum(len(t) for t in TRANSITIONS.values())
    assert refused == len(ALL) * len(ALL) - legal


def test_every_pair_in_the_table_moves_with_audit_and_timeline(draft, customer):
    for from_status, targets in TRANSITIONS.items():
        for to_status in sorted(targets):
            _force(draft, from_status)
            audits = AuditEntry.objects.count()
            app = application_transition(
                application=draft, to_status=to_status, actor=customer, reason="why"
            )
            assert app.status == to_status
            audit = AuditEntry.objects.order_by("-id").first()
            assert AuditEntry.objects.count() == audits + 1
            assert (audit.from_state, audit.to_state, audit.reason, audit.actor) == (
                from_status,
                to_status,
                "why",
                customer,
            )
            event = app.events.order_by("-id").first()
            assert (event.from_status, event.to_status, event.actor) == (
                from_status,
                to_status,
                customer,
            )


def test_stage_times_are_stamped(draft):
    for status in ("submitted", "under_review", "approved", "contract_signed", "funded"):
        draft = application_transition(application=draft, to_status=status, actor="t")
    assert draft.submitted_at <= draft.decided_at <= draft.contract_signed_at <= draft.funded_at
    assert draft.closed_at == draft.funded_at
