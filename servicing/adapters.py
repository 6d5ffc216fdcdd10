"""Adapters to the outside money world: the online payment provider and the bank's auto-debit
(代扣) file exchange. Each has a documented interface and a sandbox implementation; the real ones
are configured by settings (SERVICING_PAYMENT_PROVIDER), never imported by the services.

PaymentProvider
    create_payment(amount, description, return_url) -> CreatedPayment(provider_ref, pay_url)
    pay_url(provider_ref) -> str                 where the customer pays
    verify_callback(payload, signature) -> bool  the provider's callback is genuine
The provider calls back (servicing.services.repayments.payment_callback_handle) with
{"provider_ref", "amount", "status": "success" | "failed", "paid_at"} and a signature.

SandboxBank
    process(file_content) -> results CSV (instruction_ref, amount, result, reason, bank_ref)
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from autofin.crypto import keyed_hash


@dataclass(frozen=True)
class CreatedPayment:
    provider_ref: str
    pay_url: str


class PaymentProvider(Protocol):
    name: str

    def create_payment(
        self, *, amount: Decimal, description: str, return_url: str = ""
    ) -> CreatedPayment: ...

    def pay_url(self, provider_ref: str) -> str: ...

    def verify_callback(self, *, payload: dict, signature: str) -> bool: ...


def _canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


class SandboxPaymentProvider:
    """Pays on request: the sandbox cashier page (servicing:sandbox_pay) calls `pay`, which
    signs a callback and hands it to the callback handler, as the real provider would over HTTP."""

    name = "sandbox-pay"

    def create_payment(
        self, *, amount: Decimal, description: str, return_url: str = ""
    ) -> CreatedPayment:
        ref = f"SBXPAY-{uuid.uuid4().hex[:20].upper()}"
        return CreatedPayment(provider_ref=ref, pay_url=self.pay_url(ref))

    def pay_url(self, provider_ref: str) -> str:
        return reverse("servicing:sandbox_pay", kwargs={"provider_ref": provider_ref})

    def sign(self, payload: dict) -> str:
        return keyed_hash(f"sandbox-pay:{_canonical(payload)}")

    def verify_callback(self, *, payload: dict, signature: str) -> bool:
        return bool(signature) and self.sign(payload) == signature

    def callback_payload(self, *, provider_ref: str, amount: Decimal, success: bool = True) -> dict:
        return {
            "provider_ref": provider_ref,
            "amount": f"{amount:.2f}",
            "status": "success" if success else "failed",
            "paid_at": timezone.now().isoformat(),
        }

    def pay(self, *, provider_ref: str, amount: Decimal, success: bool = True):
        """The customer paid (or the payment failed): call back like the provider would."""
        from servicing.services.repayments import payment_callback_handle

        payload = self.callback_payload(provider_ref=provider_ref, amount=amount, success=success)
        return payment_callback_handle(payload=payload, signature=self.sign(payload))


def payment_provider() -> SandboxPaymentProvider:
    path = getattr(
        settings, "SERVICING_PAYMENT_PROVIDER", "servicing.adapters.SandboxPaymentProvider"
    )
    return import_string(path)()


class SandboxBank:
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
