"""The bank-card four-element check (银行卡四要素核验): does this card belong to this person —
holder name, ID number, card number and the phone the bank holds for the card (预留手机号)?

A sale-leaseback (售后回租) pays the car's price to the customer's own card, so the card is
checked before any money is released to it (origination.services.bank_cards).

BankCardVerificationAdapter
    verify(name, id_number, card_number, phone) ->
        {"result": "match" | "mismatch", "reason": str, "ref": str}

Chosen by settings.ORIGINATION_BANK_CARD_ADAPTER: the sandbox (AUTOFIN_SANDBOX=1 only) or
HttpBankCardVerification (signed JSON over HTTP to BANK_CARD_URL, rail ``bank_card``,
docs/integrations.md). The provider (a card scheme or the issuing bank) can only check the
plain values, so the four elements travel over the signed TLS channel; nothing of them is
logged here, and AutoFin stores the card encrypted, its keyed hash and its mask.

Sandbox test identities (any other combination matches):

=========================  ======================================================
test value                 sandbox answer
=========================  ======================================================
card 6222020000000000018   mismatch, reason ``card``: the card is not this person's
phone 13800000003          mismatch, reason ``phone``: not the card's reserved phone
ID 110101199001014549      mismatch, reason ``id``: name and ID number do not match
                           (risk's three-factor mismatch identity)
=========================  ======================================================
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from autofin.crypto import normalise
from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly

TEST_CARD_MISMATCH = "6222020000000000018"
TEST_PHONE_CARD_MISMATCH = "13800000003"
TEST_ID_CARD_MISMATCH = "110101199001014549"
REASONS = ("card", "phone", "id", "name")


class BankCardError(Exception):
    """The check could not be made (the provider unreachable or answering nonsense)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class BankCardVerificationAdapter(Protocol):
    def verify(
        self, *, name: str, id_number: str, card_number: str, phone: str
    ) -> dict[str, Any]: ...


def _ref(*parts: str) -> str:
    return hashlib.sha256("|".join(normalise(p) for p in parts).encode()).hexdigest()[:20]


class SandboxBankCardVerification(SandboxOnly):
    """Answers from the documented test values; keeps nothing."""

    def verify(self, *, name: str, id_number: str, card_number: str, phone: str) -> dict[str, Any]:
        reason = ""
        if normalise(card_number) == TEST_CARD_MISMATCH:
            reason = "card"
        elif normalise(phone) == TEST_PHONE_CARD_MISMATCH:
            reason = "phone"
        elif normalise(id_number) == TEST_ID_CARD_MISMATCH:
            reason = "id"
        return {
            "result": "mismatch" if reason else "match",
            "reason": reason,
            "ref": "SBX-CARD-" + _ref(name, id_number, card_number, phone)[:12].upper(),
        }


class HttpBankCardVerification:
    """POST /bank-card/verify {name, id_number, card_number, phone} ->
    {"result": "match" | "mismatch", "reason": "card" | "phone" | "id" | "name" | "", "ref"};
    idempotent by the four elements (a resend is answered from the provider's record)."""

    integration_rail = "bank_card"

    def __init__(self) -> None:
        self.client = SignedJsonClient(self.integration_rail)

    def verify(self, *, name: str, id_number: str, card_number: str, phone: str) -> dict[str, Any]:
        payload = {
            "name": name,
            "id_number": normalise(id_number),
            "card_number": normalise(card_number),
            "phone": normalise(phone),
        }
        key = "bank-card:" + _ref(name, id_number, card_number, phone)
        try:
            data = self.client.post("/bank-card/verify", payload, idempotency_key=key)
        except IntegrationError as exc:
            raise BankCardError(str(exc), retryable=exc.retryable) from exc
        result = data.get("result")
        if result not in ("match", "mismatch"):
            raise BankCardError("bank-card provider answered without a result")
        reason = str(data.get("reason") or "")
        return {
            "result": result,
            "reason": reason if reason in REASONS else "",
            "ref": str(data.get("ref") or "")[:40],
        }


def bank_card_adapter() -> BankCardVerificationAdapter:
    return import_string(settings.ORIGINATION_BANK_CARD_ADAPTER)()
