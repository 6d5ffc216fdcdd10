"""The sandbox bank: dedupe by key, the deterministic outcomes by account number, signed
callbacks, the statement file."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from servicing.gateway.interface import CallbackRejected, GatewayRejected, GatewayTimeout
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.disbursement import SandboxBankPayment

# Every test here runs the sandbox bank's sends and callbacks by hand (servicing/conftest.py).
pytestmark = pytest.mark.usefixtures("disbursement_settings")

DAY = dt.date(2026, 4, 1)


def _send(bank, key, account, amount="100.00", day=DAY):
    return bank.send(
        idempotency_key=key,
        amount=Decimal(amount),
        account_number=account,
        account_name="收款人",
        bank_name="测试银行",
        reference="test",
        requested_date=day,
    )


def _key():
    return f"T-{uuid.uuid4().hex}"


def test_same_key_twice_pays_once_and_returns_the_first_answer(db):
    bank, key = SandboxBank(), _key()
    first = _send(bank, key, "6222020000001234")
    second = _send(bank, key, "6222020000001234")
    assert (first.status, second.status) == ("accepted", "accepted")
    assert first.bank_ref == second.bank_ref
    row = SandboxBankPayment.objects.get(idempotency_key=key)
    assert (row.sends, row.status, row.amount) == (2, "succeeded", Decimal("100.00"))
    with pytest.raises(GatewayRejected):
        _send(bank, key, "6222020000001234", amount="100.01")
    assert SandboxBankPayment.objects.filter(idempotency_key=key).count() == 1


def test_outcomes_by_account_number(db):
    bank = SandboxBank()
    failed = _key()
    _send(bank, failed, "6222020000000001")
    assert bank.status(idempotency_key=failed).status == "failed"
    assert bank.status(idempotency_key=failed).reason == "收款账户已销户"

    answer_lost = _key()
    with pytest.raises(GatewayTimeout):
        _send(bank, answer_lost, "6222020000000002")
    assert bank.status(idempotency_key=answer_lost).status == "succeeded"
    assert _send(bank, answer_lost, "6222020000000002").status == "accepted"

    request_lost = _key()
    with pytest.raises(GatewayTimeout):
        _send(bank, request_lost, "6222020000000003")
    assert bank.status(idempotency_key=request_lost).status == "not_found"
    assert _send(bank, request_lost, "6222020000000003").status == "accepted"
    assert bank.status(idempotency_key=request_lost).status == "succeeded"

    twice = _key()
    _send(bank, twice, "6222020000000004")
    assert SandboxBankPayment.objects.get(idempotency_key=twice).callbacks_due == 2
    assert bank.status(idempotency_key=_key()).status == "not_found"


def test_callbacks_are_signed(db):
    bank, key = SandboxBank(), _key()
    _send(bank, key, "6222020000005555")
    payload = bank.callback_payload(key)
    assert payload["status"] == "succeeded" and payload["amount"] == "100.00"
    path = "/api/v1/loans/bank/callback/"
    headers, body = bank.callback_signed(payload)
    tampered = body.replace(b'"amount":"100.00"', b'"amount":"1000.00"')
    with pytest.raises(CallbackRejected):
        bank.callback_verify(method="POST", path=path, headers=headers, body=tampered)
    assert bank.callback_verify(method="POST", path=path, headers=headers, body=body) == payload
    with pytest.raises(CallbackRejected):  # the same message again: a replay
        bank.callback_verify(method="POST", path=path, headers=headers, body=body)


def test_statement_file_lists_the_days_payments(db, settings):
    bank = SandboxBank()
    day = dt.date(2026, 4, 2)
    keys = [_key(), _key()]
    _send(bank, keys[0], "6222020000005555", amount="10.00", day=day)
    _send(bank, keys[1], "6222020000000001", amount="20.00", day=day)
    with pytest.raises(GatewayTimeout):
        _send(bank, _key(), "6222020000000003", day=day)  # lost: not on the statement
    path = bank.statement_write(statement_date=day)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["idempotency_key"], r["amount"], r["status"]) for r in rows] == [
        (keys[0], "10.00", "succeeded"),
        (keys[1], "20.00", "failed"),
    ]


# --- the realistic bank (SANDBOX_BANK_LATENCY_MS, SANDBOX_BANK_TIMEOUT_RATE) ---------------------


def _key_timing_out(how):
    return next(k for k in (_key() for _n in range(200)) if SandboxBank.timeout_for(k) == how)


def test_timeout_rate_picks_keys_reproducibly_half_after_half_before(db, settings):
    keys = [f"K-{n}" for n in range(4000)]
    assert {SandboxBank.timeout_for(k) for k in keys} == {""}  # off by default
    settings.SANDBOX_BANK_TIMEOUT_RATE = 0.1
    kinds = [SandboxBank.timeout_for(k) for k in keys]
    assert kinds == [SandboxBank.timeout_for(k) for k in keys]
    assert 300 < kinds.count("after") + kinds.count("before") < 500
    assert 120 < kinds.count("after") < 280 and 120 < kinds.count("before") < 280


def test_timeout_after_the_bank_paid_is_found_by_status_and_never_paid_again(db, settings):
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    bank, key = SandboxBank(), _key_timing_out("after")
    with pytest.raises(GatewayTimeout):
        _send(bank, key, "6222020000005555")
    assert bank.status(idempotency_key=key).status == "succeeded"
    assert _send(bank, key, "6222020000005555").status == "accepted"  # the resend: no timeout
    row = SandboxBankPayment.objects.get(idempotency_key=key)
    assert (row.sends, row.status, row.callbacks_due) == (2, "succeeded", 1)


def test_timeout_before_the_bank_saw_it_is_not_found_and_paid_once_on_resend(db, settings):
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    bank, key = SandboxBank(), _key_timing_out("before")
    with pytest.raises(GatewayTimeout):
        _send(bank, key, "6222020000005555")
    assert bank.status(idempotency_key=key).status == "not_found"
    assert bank.callback_payload(key) is None
    assert _send(bank, key, "6222020000005555").status == "accepted"
    assert _send(bank, key, "6222020000005555").status == "accepted"
    assert bank.status(idempotency_key=key).status == "succeeded"
    assert SandboxBankPayment.objects.filter(idempotency_key=key).count() == 1


def test_every_call_takes_the_configured_latency(db, settings):
    import time

    settings.SANDBOX_BANK_LATENCY_MS = 60
    bank, key = SandboxBank(), _key()
    started = time.perf_counter()
    _send(bank, key, "6222020000005555")
    sent = time.perf_counter()
    assert bank.status(idempotency_key=key).status == "succeeded"
    assert sent - started >= 0.06 and time.perf_counter() - sent >= 0.06


# --- the batch endpoint (send_batch) ------------------------------------------------------------


def _payment(key, account, amount="100.00"):
    return {
        "idempotency_key": key,
        "amount": Decimal(amount),
        "account_number": account,
        "account_name": "收款人",
        "bank_name": "测试银行",
        "reference": "test",
        "requested_date": DAY,
    }


def test_a_batch_is_one_round_trip_with_one_answer_per_payment_each_timed_out_by_its_key(
    db, settings, monkeypatch
):
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    bank = SandboxBank()
    trips = []
    monkeypatch.setattr(SandboxBank, "_network", staticmethod(lambda: trips.append(1)))
    after, before = _key_timing_out("after"), _key_timing_out("before")
    settings.SANDBOX_BANK_TIMEOUT_RATE = 0.0
    paid, closed, bad = _key(), _key(), _key()
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    payments = [
        _payment(after, "6222020000005555"),
        _payment(before, "6222020000005555"),
        _payment(bad, "12"),  # refused: nothing reaches the bank for it
    ]
    answers = bank.send_batch(payments=payments)
    assert len(trips) == 1
    assert [(a.idempotency_key, a.status) for a in answers] == [
        (after, "unknown"), (before, "unknown"), (bad, "rejected"),
    ]  # fmt: skip
    assert bank.status(idempotency_key=after).status == "succeeded"  # paid, the answer lost
    assert bank.status(idempotency_key=before).status == "not_found"  # never seen
    assert not SandboxBankPayment.objects.filter(idempotency_key=bad).exists()
    # the whole batch again under the same keys: nothing is paid twice, the lost one paid once
    answers = bank.send_batch(payments=payments[:2])
    assert [a.status for a in answers] == ["accepted", "accepted"]
    rows = {r.idempotency_key: r for r in SandboxBankPayment.objects.filter(
        idempotency_key__in=[after, before])}  # fmt: skip
    assert {k: (r.sends, r.status) for k, r in rows.items()} == {
        after: (2, "succeeded"), before: (2, "succeeded"),
    }  # fmt: skip
    # and the answered ones are answered, the closed account refused later by its callback
    settings.SANDBOX_BANK_TIMEOUT_RATE = 0.0
    answers = bank.send_batch(
        payments=[_payment(paid, "6222020000005555"), _payment(closed, "6222020000000001")]
    )
    assert [a.status for a in answers] == ["accepted", "accepted"]
    assert bank.status(idempotency_key=closed).status == "failed"
    assert len(trips) == 6  # one round trip a batch (3), one a status query (3)


def test_a_batchs_callback_carries_its_results_signed_once(db, monkeypatch):
    bank = SandboxBank()
    keys = [_key(), _key()]
    bank.send_batch(
        payments=[_payment(keys[0], "6222020000005555"), _payment(keys[1], "6222020000000001")]
    )
    received = []
    monkeypatch.setattr(
        "servicing.gateway.sandbox_bank.bank_callback_receiver",
        lambda: lambda payload: received.append(payload),
    )
    bank.callbacks_deliver_batch(keys)
    assert [(r["idempotency_key"], r["status"]) for r in received[0]["results"]] == [
        (keys[0], "succeeded"), (keys[1], "failed"),
    ]  # fmt: skip
    assert set(
        SandboxBankPayment.objects.filter(idempotency_key__in=keys).values_list(
            "callbacks_sent", flat=True
        )
    ) == {1}
