"""The protocol the services pay through (`PaymentGateway`), its errors and results, the
adapter settings name (`payment_gateway`), and the verification of the bank's callback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string


class GatewayError(Exception):
    pass


class GatewayTimeout(GatewayError):
    """No answer: the payment's fate is unknown until `status(key)` is asked."""


class GatewayRejected(GatewayError):
    """The bank refused the request (nothing was paid)."""


class CallbackRejected(GatewayError):
    """A callback without a valid, fresh signature of the bank's secret."""


@dataclass(frozen=True)
class BankResult:
    idempotency_key: str
    # accepted | succeeded | failed | not_found; in a batch's answer also rejected (that
    # payment refused, nothing paid) and unknown (no answer for it: ask `status` by key)
    status: str
    bank_ref: str = ""
    amount: Decimal | None = None
    reason: str = ""


class PaymentGateway(Protocol):
    name: str

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
    ) -> BankResult: ...

    def send_batch(self, *, payments: list[dict]) -> list[BankResult]: ...

    def status(self, *, idempotency_key: str) -> BankResult: ...

    def callback_verify(self, *, method: str, path: str, headers, body: bytes) -> dict: ...

    def statement_write(self, *, statement_date: dt.date) -> Path: ...


def payment_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


def bank_callback_verify(request) -> dict:
    """The bank's callback request, verified with the bank's own secret: its JSON object.
    Raises CallbackRejected."""
    return payment_gateway().callback_verify(
        method=request.method, path=request.path, headers=request.headers, body=request.body
    )


def callback_path() -> str:
    return reverse("servicing-api:bank-callback")


# Where a verified bank callback goes: the disbursement service, registered by servicing.apps at
# ready(). The sandbox bank delivers its callbacks in-process, and the gateway never imports
# the services (they import it).
_callback_receiver = None


def bank_callback_receiver_register(receiver) -> None:
    global _callback_receiver
    _callback_receiver = receiver


def bank_callback_receiver():
    return _callback_receiver
