"""The production bank adapter: signed JSON over HTTP to BANK_URL."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from autofin.crypto import normalise
from autofin.integrations.http import (
    IntegrationError,
    IntegrationTimeout,
    SignatureInvalid,
    SignedJsonClient,
)
from autofin.money import quantize_fen
from servicing.gateway.interface import (
    BankResult,
    CallbackRejected,
    GatewayRejected,
    GatewayTimeout,
    callback_path,
)
from servicing.gateway.statement import statement_file_write


class HttpBankGateway:
    """The bank over the signed JSON protocol (docs/integrations.md):

    POST /disbursements/payments {idempotency_key, amount, account_number, account_name,
        bank_name, reference, requested_date, notify_url} -> {status: "accepted", bank_ref, amount}
    POST /disbursements/payments/batch {payments: [the payment's fields, without notify_url],
        notify_url} -> {results: [{idempotency_key, status: "accepted" | "rejected", bank_ref,
        amount, reason}]}; each payment deduped by its own key as above; a payment missing from
        the results is unknown (ask its status). The bank calls back once for the batch with
        {results: [the callback of each payment]}.
    POST /disbursements/status {idempotency_key} -> {status, bank_ref, amount, reason}
    POST /statements {statement_date} -> {rows: [...]} (the columns of statement_write)

    The Idempotency-Key header is our payment key, the bank's dedupe key: after a timeout the
    caller asks `status` before anything else, and a resend never pays twice."""

    integration_rail = "bank"

    name = "bank-http"

    def __init__(self) -> None:
        self.client = SignedJsonClient("bank")

    def _post(self, path: str, payload: dict, key: str) -> dict:
        try:
            return self.client.post(path, payload, idempotency_key=key)
        except IntegrationTimeout as exc:
            raise GatewayTimeout(str(exc)) from exc
        except IntegrationError as exc:
            raise GatewayRejected(str(exc)) from exc

    @staticmethod
    def _result(key: str, data: dict, default_status: str) -> BankResult:
        amount = data.get("amount")
        return BankResult(
            idempotency_key=key,
            status=str(data.get("status") or default_status),
            bank_ref=str(data.get("bank_ref") or ""),
            amount=quantize_fen(amount) if amount not in (None, "") else None,
            reason=str(data.get("reason") or ""),
        )

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
        amount = quantize_fen(amount)
        data = self._post(
            "/disbursements/payments",
            {
                "idempotency_key": idempotency_key,
                "amount": f"{amount:.2f}",
                "account_number": normalise(account_number),
                "account_name": account_name,
                "bank_name": bank_name,
                "reference": reference,
                "requested_date": requested_date.isoformat(),
                "notify_url": settings.SITE_URL + callback_path(),
            },
            idempotency_key,
        )
        result = self._result(idempotency_key, data, "accepted")
        if result.status != "accepted" or (result.amount is not None and result.amount != amount):
            raise GatewayRejected(f"bank answered {result.status} {result.amount} for {amount}")
        return result

    def send_batch(self, *, payments: list[dict]) -> list[BankResult]:
        keys = [p["idempotency_key"] for p in payments]
        amounts = {p["idempotency_key"]: quantize_fen(p["amount"]) for p in payments}
        data = self._post(
            "/disbursements/payments/batch",
            {
                "payments": [
                    {
                        "idempotency_key": p["idempotency_key"],
                        "amount": f"{amounts[p['idempotency_key']]:.2f}",
                        "account_number": normalise(p["account_number"]),
                        "account_name": p["account_name"],
                        "bank_name": p["bank_name"],
                        "reference": p["reference"],
                        "requested_date": p["requested_date"].isoformat(),
                    }
                    for p in payments
                ],
                "notify_url": settings.SITE_URL + callback_path(),
            },
            # the batch's own key: a retried request carries the same payments
            "batch:" + hashlib.sha256("\n".join(keys).encode()).hexdigest(),
        )
        rows = data.get("results")
        if not isinstance(rows, list):
            raise GatewayRejected("bank answered without batch results")
        by_key = {str(r.get("idempotency_key")): r for r in rows if isinstance(r, dict)}
        answers = []
        for key in keys:
            if key not in by_key:
                answers.append(BankResult(key, "unknown", reason="no answer for this payment"))
                continue
            result = self._result(key, by_key[key], "unknown")
            if result.status == "accepted" and result.amount not in (None, amounts[key]):
                result = BankResult(key, "rejected", reason=f"bank answered {result.amount}")
            elif result.status not in ("accepted", "rejected"):
                result = BankResult(key, "unknown", reason=f"bank answered {result.status}")
            answers.append(result)
        return answers

    def status(self, *, idempotency_key: str) -> BankResult:
        data = self._post(
            "/disbursements/status", {"idempotency_key": idempotency_key}, idempotency_key
        )
        return self._result(idempotency_key, data, "not_found")

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict:
        try:
            return self.client.verify(method=method, path=path, headers=headers, body=body)
        except SignatureInvalid as exc:
            raise CallbackRejected(str(exc)) from exc

    def statement_write(self, *, statement_date: dt.date) -> Path:
        data = self._post(
            "/statements",
            {"statement_date": statement_date.isoformat()},
            f"statement:{statement_date.isoformat()}",
        )
        rows = data.get("rows")
        if not isinstance(rows, list):
            raise GatewayRejected("bank answered without statement rows")
        return statement_file_write(statement_date, rows)
