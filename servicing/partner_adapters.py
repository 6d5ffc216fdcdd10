"""Adapters to the lender's partners that are not banks: the carmakers' subsidy-claim desks and
the tax platform that issues electronic invoices (数电发票). Each has a documented interface
(docs/integrations.md "OEM claims" and "Invoicing"), a sandbox (AUTOFIN_SANDBOX=1 only) and is
named by a setting (SERVICING_OEM_CLAIMS, SERVICING_INVOICING), never imported by the services.

OemClaims
    submit(claim: ClaimFile) -> list[LineResult]     the OEM's answer line by line
    resubmit(claim: ClaimFile, line: ClaimFileLine) -> LineResult   a disputed line again

Invoicing
    issue(request: InvoiceRequest) -> str            the invoice number the platform assigned
        raises InvoiceRejected(message) when the platform refuses it (nothing was issued)
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from autofin.integrations.http import SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly
from autofin.money import quantize_fen

# --- OEM claims --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFileLine:
    contract_ref: str
    vin: str
    customer_rate: Decimal
    lender_rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ClaimFile:
    oem_name: str
    month: dt.date
    lines: tuple[ClaimFileLine, ...]


@dataclass(frozen=True)
class LineResult:
    contract_ref: str
    confirmed: bool
    oem_amount: Decimal | None = None  # the OEM's own figure for a disputed line
    reason: str = ""


class OemClaims(Protocol):
    def submit(self, claim: ClaimFile) -> list[LineResult]: ...

    def resubmit(self, claim: ClaimFile, line: ClaimFileLine) -> LineResult: ...


# Test identities of the sandbox OEM: a VIN ending in 7 is disputed on first submission (the OEM
# accepts 90 % of the line, rounded half up); one ending in 77 stays disputed when resubmitted.
SANDBOX_DISPUTE_VIN_SUFFIX = "7"
SANDBOX_STUBBORN_VIN_SUFFIX = "77"
SANDBOX_OEM_SHARE = Decimal("0.9")


class SandboxOemClaims(SandboxOnly):
    def _disputed(self, line: ClaimFileLine) -> LineResult:
        return LineResult(
            contract_ref=line.contract_ref,
            confirmed=False,
            oem_amount=quantize_fen(line.amount * SANDBOX_OEM_SHARE, ROUND_HALF_UP),
            reason="贴息期限与协议不符",
        )

    def submit(self, claim: ClaimFile) -> list[LineResult]:
        return [
            self._disputed(line)
            if line.vin.endswith(SANDBOX_DISPUTE_VIN_SUFFIX)
            else LineResult(contract_ref=line.contract_ref, confirmed=True)
            for line in claim.lines
        ]

    def resubmit(self, claim: ClaimFile, line: ClaimFileLine) -> LineResult:
        if line.vin.endswith(SANDBOX_STUBBORN_VIN_SUFFIX):
            return self._disputed(line)
        return LineResult(contract_ref=line.contract_ref, confirmed=True)


def _line_json(line: ClaimFileLine) -> dict:
    return {
        "contract_ref": line.contract_ref,
        "vin": line.vin,
        "customer_rate": str(line.customer_rate),
        "lender_rate": str(line.lender_rate),
        "amount": str(line.amount),
    }


def _result(data: dict) -> LineResult:
    amount = data.get("oem_amount")
    return LineResult(
        contract_ref=data["contract_ref"],
        confirmed=bool(data["confirmed"]),
        oem_amount=None if amount in (None, "") else Decimal(str(amount)),
        reason=str(data.get("reason") or ""),
    )


class HttpOemClaims:
    """The OEM's claim desk over the signed JSON protocol (docs/integrations.md)."""

    def __init__(self) -> None:
        self.client = SignedJsonClient("oem_claims")

    def submit(self, claim: ClaimFile) -> list[LineResult]:
        body = {"oem": claim.oem_name, "month": claim.month.isoformat(),
                "lines": [_line_json(x) for x in claim.lines]}  # fmt: skip
        return [_result(x) for x in self.client.post("/claims", body)["lines"]]

    def resubmit(self, claim: ClaimFile, line: ClaimFileLine) -> LineResult:
        body = {"oem": claim.oem_name, "month": claim.month.isoformat(), "line": _line_json(line)}
        return _result(self.client.post("/claims/resubmit", body))


def oem_claims_adapter() -> OemClaims:
    return import_string(settings.SERVICING_OEM_CLAIMS)()


# --- Invoicing (e-fapiao) ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRequest:
    colour: str  # "blue" or "red"
    seller_name: str
    seller_taxpayer_id: str
    buyer_name: str
    buyer_taxpayer_id: str
    item_name: str  # e.g. *贷款服务*贷款利息
    amount: Decimal  # before tax (negative on a red-letter invoice)
    rate: Decimal
    tax: Decimal
    total: Decimal
    issued_on: dt.date
    original_number: str = ""  # the blue invoice a red-letter one reverses


class InvoiceRejected(Exception):
    """The tax platform refused the invoice; nothing was issued."""


class Invoicing(Protocol):
    def issue(self, request: InvoiceRequest) -> str: ...


# Test identity of the sandbox tax platform: a buyer whose name contains 拒开 is refused (as the
# platform refuses a buyer in abnormal tax status, 非正常户).
SANDBOX_REJECTED_BUYER_MARK = "拒开"
_sandbox_numbers = itertools.count(1)


class SandboxInvoicing(SandboxOnly):
    def issue(self, request: InvoiceRequest) -> str:
        if SANDBOX_REJECTED_BUYER_MARK in request.buyer_name:
            raise InvoiceRejected("购买方为非正常户，税务平台拒绝开具")
        # 数电发票 numbers are 20 digits: year (2), area (2), sequence
        stamp = dt.datetime.now().strftime("%H%M%S%f")
        return f"{request.issued_on:%y}31{stamp}{next(_sandbox_numbers):04d}"[:20]


class HttpInvoicing:
    """The tax platform's (乐企 / a licensed service provider's) API over signed JSON."""

    def __init__(self) -> None:
        self.client = SignedJsonClient("invoicing")

    def issue(self, request: InvoiceRequest) -> str:
        body = {k: (str(v) if not isinstance(v, str) else v) for k, v in request.__dict__.items()}
        answer = self.client.post("/invoices", body)
        if not answer.get("accepted"):
            raise InvoiceRejected(str(answer.get("reason") or "rejected"))
        return str(answer["number"])


def invoicing_adapter() -> Invoicing:
    return import_string(settings.SERVICING_INVOICING)()
