"""Concurrency on real PostgreSQL with threads: two releases of one disbursement → one release;
two workers sending the same attempt and two callbacks at once → one payment, one posting."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from servicing.gateway.sandbox_bank import SandboxBank, sandbox_bank_close_thread_connection
from servicing.models import JournalEntry
from servicing.models.disbursement import Disbursement, PaymentAttempt, SandboxBankPayment
from servicing.selectors.ledger import trial_balance
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from servicing.services.disbursement.send import attempt_send
from servicing.services.disbursement.states import DisbursementError
from tests.servicing.disbursement_support import STANDARD, keys_of, make_facts

# Every test here runs the sandbox bank's sends and callbacks by hand (servicing/conftest.py).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("disbursement_settings"),
]


def _race(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def run(i, args):
        try:
            barrier.wait()
            results[i] = ("ok", fn(*args))
        except Exception as exc:  # noqa: BLE001
            results[i] = ("error", exc)
        finally:
            sandbox_bank_close_thread_connection()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_releases_release_once(
    transactional_db, dealer, customer, payees, maker, checker, checker2
):
    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    results = _race(
        lambda user: disbursement_approve(disbursement_id=d.pk, actor=user).status,
        [(checker,), (checker2,)],
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"]
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, DisbursementError) and error.code == "not_pending"
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 4
    assert Disbursement.objects.get(pk=d.pk).status == "released"

    # then two workers send every attempt at the same time (a redelivered task): one payment
    ids = list(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list("pk", flat=True)
    )
    for attempt_id in ids:
        results = _race(lambda pk: attempt_send(attempt_id=pk), [(attempt_id,), (attempt_id,)])
        assert all(r[0] == "ok" for r in results), results
    keys = keys_of(d)
    assert SandboxBankPayment.objects.filter(idempotency_key__in=keys).count() == 4

    # and the callbacks arrive twice, concurrently
    bank = SandboxBank()
    payloads = [bank.callback_payload(k) for k in keys]
    from servicing.services.disbursement.settle import bank_callback_receive

    for payload in payloads:
        results = _race(lambda p: bank_callback_receive(payload=p), [(payload,), (payload,)])
        assert sorted(r[1]["result"] for r in results) == ["duplicate", "recorded"], results
    d.refresh_from_db()
    assert d.status == "funded"
    assert JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk)).count() == 5
    assert trial_balance().total == Decimal("0.00")


def test_recheck_and_sweep_racing_on_timed_out_sends_pay_each_once(
    transactional_db, dealer, customer, payees, maker, checker, settings
):
    # every first send times out; the worker's recheck and the sweep then recover each attempt
    # at the same moment: one bank payment per key, one posting each, the loan funded once
    from servicing.services.disbursement.send import attempt_recover

    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    d = disbursement_approve(
        disbursement_id=disbursement_create(
            facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD), actor=maker
        ).pk,
        actor=checker,
    )
    ids = list(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list("pk", flat=True)
    )
    assert [attempt_send(attempt_id=pk) for pk in ids] == ["unknown"] * 4
    for attempt_id in ids:
        results = _race(lambda pk: attempt_recover(attempt_id=pk), [(attempt_id,)] * 3)
        assert all(r[0] == "ok" for r in results), results
    SandboxBank().callbacks_deliver(keys=keys_of(d))
    d.refresh_from_db()
    assert d.status == "funded"
    keys = keys_of(d)
    assert SandboxBankPayment.objects.filter(idempotency_key__in=keys).count() == 4
    assert set(
        SandboxBankPayment.objects.filter(idempotency_key__in=keys).values_list("status", flat=True)
    ) == {"succeeded"}
    assert JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk)).count() == 5
    assert trial_balance().total == Decimal("0.00")
