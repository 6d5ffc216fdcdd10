"""A release's steps with their writes folded together: one audit INSERT for the release and its
attempts, the dealer's payout account read once (and refused for a dealer no longer active),
the bank's answers recorded under the instructions' locks alone unless a payment was refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autofin.models import AuditEntry
from dealers.models.dealers import Dealer, DealerStatus
from servicing.gateway.interface import BankResult
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.disbursement import Disbursement, PaymentAttempt, PaymentInstruction
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from servicing.services.disbursement.send import attempts_send
from servicing.services.disbursement.states import DisbursementError
from tests.servicing.disbursement_support import STANDARD, make_facts

# The sandbox bank's sends and callbacks run by hand (servicing/conftest.py).
pytestmark = pytest.mark.usefixtures("disbursement_settings")


def _prepared(dealer, customer, maker):
    return disbursement_create(
        facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD), actor=maker
    )


def _locked_tables(ctx) -> list[str]:
    return [
        q["sql"].split(" FROM ", 1)[1].split()[0]
        for q in ctx.captured_queries
        if "FOR UPDATE" in q["sql"]
    ]


def test_a_release_audits_itself_and_its_attempts_in_one_insert(
    dealer, customer, payees, maker, checker
):
    d = _prepared(dealer, customer, maker)
    with CaptureQueriesContext(connection) as ctx:
        disbursement_approve(disbursement_id=d.pk, actor=checker)
    inserts = [q for q in ctx.captured_queries if 'INTO "autofin_auditentry"' in q["sql"]]
    assert len(inserts) == 1
    attempt_ids = sorted(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list("pk", flat=True)
    )
    release = AuditEntry.objects.get(action="disbursement_release", object_id=str(d.pk))
    assert (release.from_state, release.to_state) == ("prepared", "released")
    assert sorted(release.data["attempts"]) == attempt_ids
    created = AuditEntry.objects.filter(
        action="payment_attempt_create",
        object_id__in=[str(pk) for pk in d.instructions.values_list("pk", flat=True)],
    )
    assert sorted(e.data["attempt_no"] for e in created) == [1, 1, 1, 1]


def test_a_dealer_suspended_after_prepare_is_not_paid_and_nothing_changes(
    dealer, customer, payees, maker, checker
):
    d = _prepared(dealer, customer, maker)
    Dealer.objects.filter(pk=dealer.pk).update(status=DealerStatus.SUSPENDED)
    audits = AuditEntry.objects.count()
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=checker)
    assert exc.value.code == "no_account"
    d.refresh_from_db()
    assert (d.status, d.approved_by_id, d.released_at) == ("prepared", None, None)
    assert not PaymentAttempt.objects.filter(instruction__disbursement=d).exists()
    assert set(d.instructions.values_list("status", "attempt_count")) == {("pending", 0)}
    assert AuditEntry.objects.count() == audits


def test_accepted_sends_are_recorded_without_locking_the_disbursement(
    dealer, customer, payees, maker, checker
):
    d = _prepared(dealer, customer, maker)
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    ids = list(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list("pk", flat=True)
    )
    with CaptureQueriesContext(connection) as ctx:
        statuses = attempts_send(attempt_ids=ids)
    assert set(statuses.values()) == {"sent"}
    # marking them sending, then recording the answers: instructions by pk, then the attempts
    assert _locked_tables(ctx) == [
        '"servicing_paymentinstruction"', '"servicing_paymentattempt"',
        '"servicing_paymentinstruction"', '"servicing_paymentattempt"',
    ]  # fmt: skip
    assert set(d.instructions.values_list("status", flat=True)) == {"sent"}
    assert all(a.bank_ref for a in PaymentAttempt.objects.filter(pk__in=ids))
    assert Disbursement.objects.get(pk=d.pk).status == "released"


class _RefusesTheDealer(SandboxBank):
    """The sandbox bank, refusing the dealer's payment of a batch (nothing paid for it)."""

    def __init__(self, dealer_key: str) -> None:
        super().__init__()
        self.dealer_key = dealer_key

    def send_batch(self, *, payments: list[dict]) -> list[BankResult]:
        others = [p for p in payments if p["idempotency_key"] != self.dealer_key]
        answers = iter(super().send_batch(payments=others))
        return [
            BankResult(p["idempotency_key"], "rejected", reason="收款账户户名不符")
            if p["idempotency_key"] == self.dealer_key
            else next(answers)
            for p in payments
        ]


def test_a_refused_payment_is_settled_failed_under_the_disbursement_lock(
    dealer, customer, payees, maker, checker
):
    d = _prepared(dealer, customer, maker)
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    attempts = list(
        PaymentAttempt.objects.filter(instruction__disbursement=d).select_related("instruction")
    )
    dealer_attempt = next(a for a in attempts if a.instruction.payee_kind == "dealer")
    with CaptureQueriesContext(connection) as ctx:
        statuses = attempts_send(
            attempt_ids=[a.pk for a in attempts],
            gateway=_RefusesTheDealer(dealer_attempt.idempotency_key),
        )
    assert statuses == {a.pk: "failed" if a == dealer_attempt else "sent" for a in attempts}
    assert _locked_tables(ctx)[2:] == [
        '"servicing_disbursement"', '"servicing_paymentinstruction"', '"servicing_paymentattempt"'
    ]  # fmt: skip
    instruction = PaymentInstruction.objects.get(pk=dealer_attempt.instruction_id)
    assert (instruction.status, instruction.failure_reason) == ("failed", "收款账户户名不符")
    assert Disbursement.objects.get(pk=d.pk).status == "released"
