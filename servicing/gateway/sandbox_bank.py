"""The sandbox bank (AUTOFIN_SANDBOX=1 only): a simulator with its own table, written on its own
connection in autocommit so what it did survives our rollbacks (the rules by account number
are in the package's docstring)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from autofin.crypto import keyed_hash, normalise
from autofin.integrations.http import (
    SignatureInvalid,
    canonical_json,
    signed_headers,
    verify,
)
from autofin.integrations.sandbox import SandboxOnly
from autofin.money import quantize_fen
from autofin.scheduling import task_named
from servicing.gateway.interface import (
    BankResult,
    CallbackRejected,
    GatewayRejected,
    GatewayTimeout,
    bank_callback_receiver,
    callback_path,
)
from servicing.gateway.statement import statement_file_write

# --- the sandbox bank's own connection -------------------------------------------------------

_local = threading.local()
_all_connections: list = []
_lock = threading.Lock()


def _bank_connection():
    """A psycopg2 connection of this thread and process, in autocommit (the bank's own)."""
    params = connection.settings_dict
    key = (os.getpid(), params["NAME"], params.get("HOST"), str(params.get("PORT")))
    conn = getattr(_local, "conn", None)
    if conn is not None and getattr(_local, "key", None) == key and not conn.closed:
        return conn
    conn = psycopg2.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        application_name="sandbox-bank",
    )
    conn.autocommit = True
    _local.conn, _local.key = conn, key
    with _lock:
        _all_connections.append(conn)
    return conn


def sandbox_bank_close_connections() -> None:
    """Close every connection the sandbox bank opened in this process (tests, shutdown)."""
    with _lock:
        conns = list(_all_connections)
        _all_connections.clear()
    for conn in conns:
        with contextlib.suppress(Exception):  # closing a dead connection
            conn.close()
    _local.__dict__.pop("conn", None)


def sandbox_bank_close_thread_connection() -> None:
    """Close only this thread's sandbox-bank connection: a thread finishing must not close the
    connection another thread is still using."""
    conn = _local.__dict__.pop("conn", None)
    if conn is None:
        return
    with _lock:
        if conn in _all_connections:
            _all_connections.remove(conn)
    with contextlib.suppress(Exception):  # closing a dead connection
        conn.close()


# the sandbox's round trips, counted when settings.SANDBOX_BANK_COUNT_CALLS (benches)
CALLS_KEY = "sandbox-bank:calls"
_COLUMNS = "idempotency_key, bank_ref, amount, status, reason, value_date, account_number_last4"


class SandboxBank(SandboxOnly):
    name = "sandbox-bank"

    def __init__(self) -> None:
        cfg = settings.INTEGRATIONS["bank"]
        self.key_id, self.secret = cfg["key_id"], cfg["secret"]

    # --- the rule by account number ---
    @staticmethod
    def outcome_for(account_number: str) -> tuple[str, str, int]:
        """(status, reason, callbacks) the sandbox gives an account number."""
        last4 = normalise(account_number)[-4:]
        if last4 == "0001":
            return "failed", "收款账户已销户", 1
        if last4 == "0004":
            return "succeeded", "", 2
        return "succeeded", "", 1

    @staticmethod
    def timeout_for(idempotency_key: str) -> str:
        """How the first send of `idempotency_key` times out under SANDBOX_BANK_TIMEOUT_RATE:
        "after" (the bank executed it, the answer is lost), "before" (the request never reached
        the bank) or "" (answered). By the key's hash, so a run is reproducible and a resend
        under the same key is never lost again."""
        rate = settings.SANDBOX_BANK_TIMEOUT_RATE
        if rate <= 0:
            return ""
        digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
        if (digest % 1_000_000) >= rate * 1_000_000:
            return ""
        return "after" if (digest >> 32) % 2 == 0 else "before"

    @staticmethod
    def _network() -> None:
        """The round trip of a remote bank (SANDBOX_BANK_LATENCY_MS): a caller holding a lock
        across a call, or sending one payment at a time, shows up in the benches."""
        if settings.SANDBOX_BANK_LATENCY_MS > 0:
            time.sleep(settings.SANDBOX_BANK_LATENCY_MS / 1000)
        if settings.SANDBOX_BANK_COUNT_CALLS:
            cache.add(CALLS_KEY, 0, timeout=None)
            cache.incr(CALLS_KEY)

    def _row(self, cursor, key: str):
        cursor.execute(
            f"SELECT {_COLUMNS}, sends FROM servicing_sandboxbankpayment WHERE idempotency_key = %s",  # noqa: S608 - a constant column list
            [key],
        )
        return cursor.fetchone()

    def send(
        self,
        *,
        idempotency_key: str,
        amount: Decimal,
        account_number: str,
        account_name: str,
        bank_name: str,
        reference: str,
        requested_date: dt.date,
    ) -> BankResult:
        payment = {
            "idempotency_key": idempotency_key, "amount": amount,
            "account_number": account_number, "account_name": account_name,
            "bank_name": bank_name, "reference": reference, "requested_date": requested_date,
        }  # fmt: skip
        self._validate(payment)
        self._network()
        result, callbacks = self._execute(payment)
        if callbacks:
            self._schedule_callbacks(idempotency_key, callbacks)
        if result.status == "unknown":
            raise GatewayTimeout(result.reason)
        return result

    def send_batch(self, *, payments: list[dict]) -> list[BankResult]:
        """Several payments in one round trip: each deduped by its key and timed out by the same
        rule as `send` (its answer "unknown"); one callback for the batch's results."""
        answers: list[BankResult | None] = []
        for payment in payments:
            try:
                self._validate(payment)
                answers.append(None)
            except GatewayRejected as exc:
                answers.append(BankResult(payment["idempotency_key"], "rejected", reason=str(exc)))
        self._network()
        due: dict[str, int] = {}
        for n, payment in enumerate(payments):
            if answers[n] is not None:
                continue
            try:
                answers[n], callbacks = self._execute(payment)
            except GatewayRejected as exc:
                answers[n], callbacks = (
                    BankResult(payment["idempotency_key"], "rejected", reason=str(exc)),
                    0,
                )
            if callbacks:
                due[payment["idempotency_key"]] = callbacks
        self._schedule_batch_callbacks(due)
        return answers

    @staticmethod
    def _validate(payment: dict) -> None:
        if quantize_fen(payment["amount"]) <= 0:
            raise GatewayRejected("amount must be positive")
        number = normalise(payment["account_number"])
        if not number.isdigit() or not 8 <= len(number) <= 30:
            raise GatewayRejected("invalid account number")

    def _execute(self, payment: dict) -> tuple[BankResult, int]:
        """One payment at the bank, after the round trip: (the answer, the callbacks now due).
        The answer is "unknown" when the sandbox loses it (the request before the bank saw it,
        or the answer after it paid)."""
        idempotency_key = payment["idempotency_key"]
        amount = quantize_fen(payment["amount"])
        number = normalise(payment["account_number"])
        last4 = number[-4:]
        status, reason, callbacks = self.outcome_for(number)
        timeout = self.timeout_for(idempotency_key)
        lost_before = last4 == "0003" or timeout == "before"
        lost_after = last4 == "0002" or timeout == "after"
        first_status = "lost" if lost_before else status
        conn = _bank_connection()
        with conn.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO servicing_sandboxbankpayment
                    (idempotency_key, bank_ref, amount, account_number_hash, account_number_last4,
                     account_name, reference, status, reason, value_date, sends, callbacks_due,
                     callbacks_sent, created_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, 0, now())
                ON CONFLICT (idempotency_key) DO UPDATE
                    SET sends = servicing_sandboxbankpayment.sends + 1
                RETURNING {_COLUMNS}, (xmax = 0) AS inserted
                """,  # noqa: S608 - a constant column list
                [
                    idempotency_key,
                    f"SBX{uuid.uuid4().hex[:20].upper()}",
                    amount,
                    keyed_hash(number),
                    last4,
                    payment["account_name"][:200],
                    payment["reference"][:120],
                    first_status,
                    reason if first_status == "failed" else "",
                    payment["requested_date"],
                    callbacks,
                ],
            )
            key, bank_ref, stored_amount, stored_status, stored_reason, *_rest, inserted = (
                cursor.fetchone()
            )
            if stored_amount != amount:
                raise GatewayRejected(f"key {key} already used for {stored_amount}")
            if inserted and stored_status == "lost":
                return BankResult(key, "unknown", reason=f"sandbox: request {key} lost"), 0
            if stored_status == "lost":  # the resend of a lost request: processed now
                cursor.execute(
                    "UPDATE servicing_sandboxbankpayment SET status = %s, reason = %s "
                    "WHERE idempotency_key = %s AND status = 'lost'",
                    [status, reason if status == "failed" else "", key],
                )
                inserted = cursor.rowcount == 1
        if inserted and lost_after:
            reason = f"sandbox: answer for {key} lost (the bank processed it)"
            return BankResult(key, "unknown", reason=reason), callbacks
        return BankResult(key, "accepted", bank_ref, stored_amount), callbacks if inserted else 0

    def status(self, *, idempotency_key: str) -> BankResult:
        self._network()
        with _bank_connection().cursor() as cursor:
            row = self._row(cursor, idempotency_key)
        if row is None or row[3] == "lost":
            return BankResult(idempotency_key, "not_found")
        key, bank_ref, amount, status, reason, *_rest = row
        return BankResult(key, status, bank_ref, amount, reason)

    # --- callbacks ---
    def callback_payload(self, key: str) -> dict | None:
        with _bank_connection().cursor() as cursor:
            row = self._row(cursor, key)
        if row is None or row[3] == "lost":
            return None
        key, bank_ref, amount, status, reason, *_rest = row
        return {
            "idempotency_key": key,
            "status": status,
            "bank_ref": bank_ref,
            "amount": str(amount),
            "reason": reason,
        }

    def callback_signed(self, payload: dict) -> tuple[dict, bytes]:
        """(headers, body) of the bank's callback for `payload`, signed with the bank's secret."""
        body = canonical_json(payload)
        headers = signed_headers(
            key_id=self.key_id, secret=self.secret, method="POST", path=callback_path(), body=body
        )
        return headers, body

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict:
        try:
            return verify(
                rail="bank", key_id=self.key_id, secret=self.secret, method=method, path=path,
                headers=headers, body=body,
            )  # fmt: skip
        except SignatureInvalid as exc:
            raise CallbackRejected(str(exc)) from exc

    def _schedule_callbacks(self, key: str, times: int) -> None:
        if settings.SANDBOX_BANK_CALLBACKS != "celery":
            return
        # by name: the tasks module imports this one, never the other way
        for _n in range(times):
            task_named("servicing.tasks.disbursement.bank_callback_deliver").delay(key)

    def _schedule_batch_callbacks(self, due: dict[str, int]) -> None:
        """One callback for the batch's results; a key the sandbox calls back twice gets its
        second callback on its own."""
        if settings.SANDBOX_BANK_CALLBACKS != "celery" or not due:
            return
        task_named("servicing.tasks.disbursement.bank_callbacks_deliver").delay(list(due))
        for key, times in due.items():
            for _n in range(times - 1):
                task_named("servicing.tasks.disbursement.bank_callback_deliver").delay(key)

    def callbacks_deliver_batch(self, keys: list[str]) -> dict | None:
        """Deliver one batch callback with the results of `keys` (what the bank's HTTP call for
        a batch does): {"results": [one callback payload per key]}."""
        with _bank_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM servicing_sandboxbankpayment "  # noqa: S608 - a constant column list
                "WHERE idempotency_key = ANY(%s) AND status <> 'lost' ORDER BY id",
                [list(keys)],
            )
            rows = cursor.fetchall()
            if not rows:
                return None
            cursor.execute(
                "UPDATE servicing_sandboxbankpayment SET callbacks_sent = callbacks_sent + 1 "
                "WHERE idempotency_key = ANY(%s)",
                [[row[0] for row in rows]],
            )
        results = [
            {"idempotency_key": key, "status": status, "bank_ref": bank_ref,
             "amount": str(amount), "reason": reason}
            for key, bank_ref, amount, status, reason, *_rest in rows
        ]  # fmt: skip
        headers, body = self.callback_signed({"results": results})
        payload = self.callback_verify(
            method="POST", path=callback_path(), headers=headers, body=body
        )
        return bank_callback_receiver()(payload=payload)

    def callback_deliver(self, key: str) -> dict | None:
        """Deliver one callback for `key` to our receiver (what the bank's HTTP call does)."""
        payload = self.callback_payload(key)
        if payload is None:
            return None
        # Through the same signature check as the callback endpoint, as if over HTTP.
        headers, body = self.callback_signed(payload)
        payload = self.callback_verify(
            method="POST", path=callback_path(), headers=headers, body=body
        )
        with _bank_connection().cursor() as cursor:
            cursor.execute(
                "UPDATE servicing_sandboxbankpayment SET callbacks_sent = callbacks_sent + 1 "
                "WHERE idempotency_key = %s",
                [key],
            )
        return bank_callback_receiver()(payload=payload)

    def callbacks_deliver(self, *, keys: list[str] | None = None) -> int:
        """Deliver the callbacks still due (manual mode): for `keys`, or all. Returns how many."""
        sql = (
            "SELECT idempotency_key, callbacks_due - callbacks_sent FROM "
            "servicing_sandboxbankpayment WHERE status <> 'lost' AND callbacks_sent < callbacks_due"
        )
        params: list = []
        if keys is not None:
            sql += " AND idempotency_key = ANY(%s)"
            params.append(list(keys))
        with _bank_connection().cursor() as cursor:
            cursor.execute(sql + " ORDER BY id", params)
            due = cursor.fetchall()
        count = 0
        for key, times in due:
            for _n in range(times):
                self.callback_deliver(key)
                count += 1
        return count

    # --- statement ---
    def statement_rows(self, *, statement_date: dt.date) -> list[dict]:
        with _bank_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM servicing_sandboxbankpayment "  # noqa: S608 - a constant column list
                "WHERE value_date = %s AND status <> 'lost' ORDER BY id",
                [statement_date],
            )
            rows = cursor.fetchall()
        return [
            {
                "value_date": value_date.isoformat(),
                "bank_ref": bank_ref,
                "idempotency_key": key,
                "account_last4": last4,
                "amount": str(amount),
                "status": status,
                "reason": reason,
            }
            for key, bank_ref, amount, status, reason, value_date, last4 in rows
        ]

    def statement_write(self, *, statement_date: dt.date) -> Path:
        return statement_file_write(
            statement_date, self.statement_rows(statement_date=statement_date)
        )
