"""The underwriting workbench's services: claim/release (with a real race), authority limits
and conflicts of interest, and each action's state change, audit rows and notifications."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from autofin.models import AuditEntry, OutboundMessage
from origination.models import (
    Application,
    AuthorityLimit,
    Condition,
    Contract,
    CounterOffer,
    UnderwritingCase,
)
from origination.services.underwriting import (
    AuthorityError,
    ClaimConflictError,
    UnderwritingError,
    case_claim,
    case_release,
    counter_offer_respond,
    underwriting_approve,
    underwriting_counter_offer,
    underwriting_decline,
    underwriting_documents_received,
    underwriting_request_documents,
)
from tests.origination.test_workbench_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _snapshot(app):
    app.refresh_from_db()
    return (
        app.status,
        AuditEntry.objects.count(),
        Condition.objects.count(),
        Contract.objects.count(),
        OutboundMessage.objects.count(),
    )


def test_approve_with_condition_moves_audits_notifies_and_issues_contract(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    sms_before = OutboundMessage.objects.filter(channel="sms").count()

    app = underwriting_approve(
        application_id=referred.pk,
        actor=underwriter,
        conditions=[{"condition_kind": "down_payment", "amount": "70000.00", "note": "首付提高"}],
        note="收入核实无误",
    )

    assert app.status == "approved"
    cond = Condition.objects.get(application=app)
    assert (cond.condition_kind, cond.amount, cond.status) == (
        "down_payment",
        Decimal("70000.00"),
        "open",
    )
    audit = AuditEntry.objects.filter(action="application_transition").order_by("-id").first()
    assert (audit.from_state, audit.to_state, audit.actor, audit.reason) == (
        "referred",
        "approved",
        underwriter,
        "收入核实无误",
    )
    contract = Contract.objects.get(application=app)
    assert contract.status == "issued"
    assert contract.amount_financed == Decimal("146000.00")
    # the approval SMS and the contract-issued SMS
    assert OutboundMessage.objects.filter(channel="sms").count() == sms_before + 2
