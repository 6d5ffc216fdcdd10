"""Adapters to the outside money world: the online payment provider and the bank's auto-debit
(代扣) file exchange. Each has a documented interface, a sandbox (AUTOFIN_SANDBOX=1 only) and a
production adapter over the signed JSON protocol (HttpPaymentProvider, HttpAutoDebitBank); the
one used is named by a setting (SERVICING_PAYMENT_PROVIDER, SERVICING_AUTO_DEBIT_BANK), never
imported by the services.

PaymentProvider
    create_payment(amount, description, return_url, idempotency_key)
        -> CreatedPayment(provider_ref, pay_url); pass the order's key so a retry creates one
    pay_url(provider_ref) -> str                 where the customer pays
    callback_verify(method, path, headers, body) -> dict   the callback's JSON, if genuine
The provider calls back (POST /api/v1/loans/payments/callback/, signed with the provider's own
secret, docs/integrations.md); `payment_callback_verify(request)` checks it and hands
{"provider_ref", "amount", "status": "success" | "failed", "paid_at"} to
servicing.services.payment_callbacks.payment_callback_route.

AutoDebitBank (SandboxBank, HttpAutoDebitBank)
    process(file_content) -> results CSV (instruction_ref, amount, result, reason, bank_ref)
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from autofin.integrations.http import (
    IntegrationError,
    SignatureInvalid,
    SignedJsonClient,
    canonical_json,
    signed_headers,
    verify,
)
from autofin.integrations.sandbox import SandboxOnly
from autofin.money import quantize_fen


@dataclass(frozen=True)
class CreatedPayment:
    provider_ref: str
    pay_url: str


class PaymentProvider(Protocol):
    name: str

    def create_payment(
        self, *, amount: Decimal, description: str, return_url: str = "", idempotency_key: str = ""
    ) -> CreatedPayment: ...

    def pay_url(self, provider_ref: str) -> str: ...

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict: ...


class PaymentProviderError(Exception):
    """The provider refused or could not be reached; `retryable`: trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class CallbackRejected(Exception):
    """An incoming callback without a valid, fresh signature of the provider's secret."""


def _provider_error(exc: IntegrationError) -> PaymentProviderError:
    return PaymentProviderError(str(exc), retryable=exc.retryable)


def _callback_path() -> str:
    return reverse("servicing-api:payment-callback")


# The sandbox provider calls back in-process (`SandboxPaymentProvider.pay`). Its handler is the
# repayments service, which imports this module for `payment_provider`: servicing.apps registers
# the handler at ready() so the adapters stay outside the services' import graph.
_callback_handler = None


def payment_callback_handler_register(handler) -> None:
    global _callback_handler
    _callback_handler = handler


class SandboxPaymentProvider(SandboxOnly):
    """Pays on request: the sandbox cashier page (servicing:sandbox_pay) calls `pay`, which
    signs a callback with the provider's secret exactly as the real provider would over HTTP
    and hands it through the same verification as the callback endpoint."""

    name = "sandbox-pay"

    def __init__(self) -> None:
        cfg = settings.INTEGRATIONS["payment"]
        self.key_id, self.secret = cfg["key_id"], cfg["secret"]

    def create_payment(
        self, *, amount: Decimal, description: str, return_url: str = "", idempotency_key: str = ""
    ) -> CreatedPayment:
        ref = f"SBXPAY-{uuid.uuid4().hex[:20].upper()}"
        return CreatedPayment(provider_ref=ref, pay_url=self.pay_url(ref))

    def pay_url(self, provider_ref: str) -> str:
        return reverse("servicing:sandbox_pay", kwargs={"provider_ref": provider_ref})

    def callback_signed(self, payload: dict) -> tuple[dict, bytes]:
        """(headers, body) of the provider's callback for `payload`, signed with its secret."""
        body = canonical_json(payload)
        headers = signed_headers(
            key_id=self.key_id, secret=self.secret, method="POST", path=_callback_path(), body=body
        )
        return headers, body

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict:
        try:
            return verify(
                rail="payment", key_id=self.key_id, secret=self.secret, method=method,
                path=path, headers=headers, body=body,
            )  # fmt: skip
        except SignatureInvalid as exc:
            raise CallbackRejected(str(exc)) from exc

    def callback_payload(self, *, provider_ref: str, amount: Decimal, success: bool = True) -> dict:
        return {
            "provider_ref": provider_ref,
            "amount": f"{amount:.2f}",
            "status": "success" if success else "failed",
            "paid_at": timezone.now().isoformat(),
        }

    def pay(self, *, provider_ref: str, amount: Decimal, success: bool = True):
        """The customer paid (or the payment failed): call back like the provider would."""
        payload = self.callback_payload(provider_ref=provider_ref, amount=amount, success=success)
        headers, body = self.callback_signed(payload)
        verified = self.callback_verify(
            method="POST", path=_callback_path(), headers=headers, body=body
        )
        return _callback_handler(payload=verified)


class HttpPaymentProvider:
    """The payment aggregator over the signed JSON protocol (docs/integrations.md):
    POST /payments {amount, currency, description, return_url, notify_url} ->
    {provider_ref, pay_url}; the cashier page of an order is <PAYMENT_PROVIDER_URL>/cashier/<ref>;
    callbacks arrive at /api/v1/loans/payments/callback/ signed with PAYMENT_PROVIDER_SECRET."""

    integration_rail = "payment"

    name = "payment-http"

    def __init__(self) -> None:
        self.client = SignedJsonClient("payment")

    def create_payment(
        self, *, amount: Decimal, description: str, return_url: str = "", idempotency_key: str = ""
    ) -> CreatedPayment:
        try:
            data = self.client.post(
                "/payments",
                {
                    "amount": f"{quantize_fen(amount):.2f}",
                    "currency": "CNY",
                    "description": description[:120],
                    "return_url": return_url,
                    "notify_url": settings.SITE_URL + _callback_path(),
                },
                idempotency_key=idempotency_key,
            )
        except IntegrationError as exc:
            raise _provider_error(exc) from exc
        ref = str(data.get("provider_ref") or "")
        if not ref:
            raise PaymentProviderError("payment provider answered without provider_ref")
        return CreatedPayment(
            provider_ref=ref, pay_url=str(data.get("pay_url") or self.pay_url(ref))
        )

    def pay_url(self, provider_ref: str) -> str:
        return f"{self.client.rail.url}/cashier/{provider_ref}"

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict:
        try:
            return self.client.verify(method=method, path=path, headers=headers, body=body)
        except SignatureInvalid as exc:
            raise CallbackRejected(str(exc)) from exc


def payment_provider() -> PaymentProvider:
    return import_string(settings.SERVICING_PAYMENT_PROVIDER)()


def payment_callback_verify(request) -> dict:
    """The provider's callback request, verified with the provider's own secret (never the
    global HMAC_KEY): its JSON object. Raises CallbackRejected for a missing, wrong, stale or
    replayed signature, or a body that is not a JSON object."""
    return payment_provider().callback_verify(
        method=request.method, path=request.path, headers=request.headers, body=request.body
    )


class SandboxBank(SandboxOnly):
    """Reads an auto-debit file and answers with a results file. Debits of the contracts in
    `fail` fail with "余额不足"; the rest succeed for the full amount."""

    def __init__(self, *, fail: set[str] | None = None) -> None:
        self.fail = fail or set()

    def process(self, content: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["instruction_ref", "amount", "result", "reason", "bank_ref"])
        for line in csv.DictReader(io.StringIO(content)):
            failed = line["contract_ref"] in self.fail
            writer.writerow(
                [
                    line["instruction_ref"],
                    line["amount"],
                    "failed" if failed else "success",
                    "余额不足" if failed else "",
                    "" if failed else f"SBXBANK-{line['instruction_ref']}",
                ]
            )
        return out.getvalue()


class AutoDebitError(PaymentProviderError):
    """The bank did not take (or answer) the auto-debit file."""


class HttpAutoDebitBank:
    """The bank's auto-debit exchange over the signed JSON protocol: POST /auto-debit/files
    {"content": <instruction CSV>} -> {"results": <results CSV>}. The idempotency key is the
    file's SHA-256, so a resent file is answered, never debited, again."""

    integration_rail = "bank"

    def __init__(self) -> None:
        self.client = SignedJsonClient("bank")

    def process(self, content: str) -> str:
        key = "auto-debit:" + hashlib.sha256(content.encode()).hexdigest()
        try:
            data = self.client.post("/auto-debit/files", {"content": content}, idempotency_key=key)
        except IntegrationError as exc:
            raise AutoDebitError(str(exc), retryable=exc.retryable) from exc
        results = data.get("results")
        if not isinstance(results, str):
            raise AutoDebitError("bank answered without a results file", retryable=False)
        return results


def auto_debit_bank():
    return import_string(settings.SERVICING_AUTO_DEBIT_BANK)()
