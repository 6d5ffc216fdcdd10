"""The insurers' rail (docs/integrations.md "Insurers"): motor-policy renewal quotes from several
insurers, binding the quote the customer chose, and each insurer's monthly commission statement.
Named by the setting SERVICING_INSURERS (autofin/rails.py), never imported by the services.

Insurers
    quotes(request: QuoteRequest) -> list[InsurerQuote]   one answer per insurer asked; an insurer
        that declines the car answers with `refused` set (the others still quote)
        raises InsurerUnavailable when the rail did not answer (nothing quoted)
    bind(quote: InsurerQuote, request: QuoteRequest) -> str   the policy number issued
    commission_statement(insurer_name: str, month: dt.date) -> list[StatementLine]
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly
from autofin.money import quantize_fen


@dataclass(frozen=True)
class QuoteRequest:
    vin: str
    vehicle: str
    starts_on: dt.date
    cover: tuple[str, ...]
    # last term's premium: the base every insurer prices the renewal from
    previous_premium: Decimal
    beneficiary_name: str = ""


@dataclass(frozen=True)
class InsurerQuote:
    insurer_name: str
    quote_ref: str
    premium: Decimal = Decimal("0")
    cover: tuple[str, ...] = ()
    # the insurer's agency commission on this policy (share of the premium, VAT included)
    commission_rate: Decimal = Decimal("0")
    valid_until: dt.date | None = None
    refused: str = ""  # the insurer's reason when it declines the car


@dataclass(frozen=True)
class StatementLine:
    policy_number: str
    premium: Decimal
    commission: Decimal


class InsurerUnavailable(Exception):
    """The insurers' rail did not answer (timeout); nothing was quoted or bound."""


class Insurers(Protocol):
    def quotes(self, request: QuoteRequest) -> list[InsurerQuote]: ...

    def bind(self, quote: InsurerQuote, request: QuoteRequest) -> str: ...

    def commission_statement(self, insurer_name: str, month: dt.date) -> list[StatementLine]: ...


# --- sandbox -------------------------------------------------------------------------------------

# The sandbox's three insurers: (name, premium factor on last year's premium, commission rate).
SANDBOX_INSURERS = (
    ("人保财险（沙箱）", Decimal("1.00"), Decimal("0.1000")),
    ("平安产险（沙箱）", Decimal("0.97"), Decimal("0.1200")),
    ("太保产险（沙箱）", Decimal("1.03"), Decimal("0.0800")),
)
# Test identities (docs/integrations.md): a VIN ending in 9R is refused by every insurer; one
# ending in 8T times out (InsurerUnavailable); on the commission statement a policy whose VIN
# ends in 7 is paid 1 % of premium less than agreed (differing), one ending in 77 is missing.
SANDBOX_REFUSED_VIN_SUFFIX = "9R"
SANDBOX_TIMEOUT_VIN_SUFFIX = "8T"
SANDBOX_SHORT_VIN_SUFFIX = "7"
SANDBOX_MISSING_VIN_SUFFIX = "77"


def _sandbox_ref(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16].upper()


class SandboxInsurers(SandboxOnly):
    """Deterministic insurers: premium = last premium × the insurer's factor (half up)."""

    def quotes(self, request: QuoteRequest) -> list[InsurerQuote]:
        if request.vin.endswith(SANDBOX_TIMEOUT_VIN_SUFFIX):
            raise InsurerUnavailable("sandbox insurer timed out")
        answers = []
        for name, factor, rate in SANDBOX_INSURERS:
            ref = _sandbox_ref(name, request.vin, request.starts_on)
            if request.vin.endswith(SANDBOX_REFUSED_VIN_SUFFIX):
                answers.append(InsurerQuote(name, ref, refused="车辆出险记录过多，不予承保"))
                continue
            answers.append(
                InsurerQuote(
                    insurer_name=name,
                    quote_ref=ref,
                    premium=quantize_fen(request.previous_premium * factor, ROUND_HALF_UP),
                    cover=request.cover,
                    commission_rate=rate,
                    valid_until=request.starts_on,
                )
            )
        return answers

    def bind(self, quote: InsurerQuote, request: QuoteRequest) -> str:
        return f"SBX{request.starts_on:%Y}{quote.quote_ref}"

    def commission_statement(self, insurer_name: str, month: dt.date) -> list[StatementLine]:
        # The sandbox insurer's books are the policies it bound: the lender's own policy rows
        # with its name and a sandbox number, started in the month.
        from servicing.models.leases import InsurancePolicy

        rate = next((r for n, _f, r in SANDBOX_INSURERS if n == insurer_name), None)
        if rate is None:
            return []
        policies = InsurancePolicy.objects.filter(
            insurer_name=insurer_name,
            policy_number__startswith="SBX",
            starts_on__year=month.year,
            starts_on__month=month.month,
        ).order_by("policy_number")
        lines = []
        for p in policies:
            if p.vin.endswith(SANDBOX_MISSING_VIN_SUFFIX):
                continue
            paid = rate - Decimal("0.01") if p.vin.endswith(SANDBOX_SHORT_VIN_SUFFIX) else rate
            lines.append(
                StatementLine(
                    p.policy_number, p.premium, quantize_fen(p.premium * paid, ROUND_HALF_UP)
                )
            )
        return lines


# --- production ----------------------------------------------------------------------------------


def _request_json(request: QuoteRequest) -> dict:
    return {
        "vin": request.vin,
        "vehicle": request.vehicle,
        "starts_on": request.starts_on.isoformat(),
        "cover": list(request.cover),
        "previous_premium": str(request.previous_premium),
        "beneficiary_name": request.beneficiary_name,
    }


def _quote(d: dict) -> InsurerQuote:
    until = d.get("valid_until")
    return InsurerQuote(
        insurer_name=str(d["insurer_name"]),
        quote_ref=str(d["quote_ref"]),
        premium=Decimal(str(d.get("premium") or "0")),
        cover=tuple(d.get("cover") or ()),
        commission_rate=Decimal(str(d.get("commission_rate") or "0")),
        valid_until=dt.date.fromisoformat(until) if until else None,
        refused=str(d.get("refused") or ""),
    )


class HttpInsurers:
    """The insurers' aggregation platform (车险比价平台) over the signed JSON protocol."""

    def __init__(self) -> None:
        self.client = SignedJsonClient("insurers")

    def quotes(self, request: QuoteRequest) -> list[InsurerQuote]:
        try:
            answer = self.client.post("/quotes", _request_json(request))
        except IntegrationError as exc:
            raise InsurerUnavailable(str(exc)) from exc
        return [_quote(x) for x in answer.get("quotes") or []]

    def bind(self, quote: InsurerQuote, request: QuoteRequest) -> str:
        body = {"insurer_name": quote.insurer_name, "quote_ref": quote.quote_ref,
                "request": _request_json(request)}  # fmt: skip
        answer = self.client.post("/policies", body, idempotency_key=f"bind:{quote.quote_ref}")
        return str(answer["policy_number"])

    def commission_statement(self, insurer_name: str, month: dt.date) -> list[StatementLine]:
        body = {"insurer_name": insurer_name, "month": month.strftime("%Y-%m")}
        answer = self.client.post("/commission-statements", body)
        return [
            StatementLine(str(x["policy_number"]), Decimal(str(x["premium"])),
                          Decimal(str(x["commission"])))
            for x in answer.get("lines") or []
        ]  # fmt: skip


def insurers_adapter() -> Insurers:
    return import_string(settings.SERVICING_INSURERS)()
