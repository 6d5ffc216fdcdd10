"""External data behind adapters: credit bureau (征信), three-factor ID verification, phone
status and vehicle valuation. Each has a ``Protocol``; the class used is named by a setting
(``RISK_BUREAU_ADAPTER``, ``RISK_VERIFICATION_ADAPTER``, ``RISK_PHONE_ADAPTER``,
``RISK_VALUATION_ADAPTER``): with AUTOFIN_SANDBOX=1 the sandbox classes here, otherwise the
``Http*`` production adapters (signed JSON over HTTP, docs/integrations.md), which send hashes
(and the bureau the encrypted ID number it is entitled to), never plaintext identities.

Sandbox test identities. Risk receives only keyed hashes, so the sandboxes hash their own test
values with ``autofin.crypto.keyed_hash`` and compare:

=====================  ===========================================================
test ID number         sandbox answer
=====================  ===========================================================
110101199001011237     clean bureau file: 1 inquiry, no DPD, utilisation 0.20
110101199001012341     thin file: no bureau record (bureau features missing)
110101199001013445     delinquent: 8 inquiries, max DPD 90, utilisation 0.95,
                       monthly debt payments 6,000, court enforcement listed
110101199001015668     indebted: the clean file, but monthly debt payments 6,000
                       (total debt 216,000): over the debt-to-income cap on a
                       modest income, nothing else wrong
110101199001016767     court enforcement (被执行人) listed, otherwise the clean file
110101199001017874     dishonest debtor (失信被执行人) listed, and so court
                       enforcement too; otherwise the clean file
110101199001014549     three-factor verification fails (ID, name and phone mismatch)
any other ID hash      clean-ish file derived from the hash (0-3 inquiries, no DPD,
                       utilisation 0.00-0.79, no debts, no court lists): deterministic
                       for the same hash
=====================  ===========================================================

=====================  ===========================================================
test phone number      sandbox answer
=====================  ===========================================================
13800000001            deactivated
13800000002            owner changed, tenure 1 month
any other              active, tenure 36 months
=====================  ===========================================================

Income verification (收入核验, sandbox): asked only for the sources the customer authorised
(social insurance and provident fund, individual income tax, bank statements / payroll). A
provider answers per source whether the declared monthly income is borne out: ``matched``
(the source shows at least 80 % of it), ``below`` (it shows less) or ``not_found``; with
``below`` it says how much the source shows (``monthly_income``), the income the decision is
then made on.

=====================  ===========================================================
test ID number         sandbox answer (every authorised source)
=====================  ===========================================================
110101199001011237     matched
110101199001012341     not_found (no record at any source)
110101199001018076     below: the sources show half the declared income
any other ID hash      by the hash: 17 in 20 matched, 2 in 20 below (half the
                       declared income), 1 in 20 not found; deterministic for the
                       same hash
=====================  ===========================================================

Phone status in batches (``status_many``, the monthly book check): the same answers, by hash.

Monthly price index (``price_index(month)``, the revaluation of the book): rows of
``{"segment", "age_months", "region", "factor"}``, the residual value of a car of that segment
and age as a share of its new price. The sandbox's national table ("" region) is
0.85^(age/12) for new and used cars, 0.78^(age/12) for nev, 0.82^(age/12) for commercial, ages
0-180 months, 6 places (half-up), the same every month; 上海市 has its own table at 1.02 x the
national one and 广东省 at 0.97 x (capped at 1).

Vehicle valuation (sandbox): for new cars (new, nev, commercial) the guide price is the
``msrp`` the caller gives in ``deal.vehicle``; for used cars it is msrp x 0.85^age x a mileage
factor (1 - km / 600,000, at least 0.5). Without an msrp the guide price is the deal price.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from autofin.crypto import keyed_hash
from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly

TEST_ID_CLEAN = "110101199001011237"
TEST_ID_THIN = "110101199001012341"
TEST_ID_DELINQUENT = "110101199001013445"
TEST_ID_MISMATCH = "110101199001014549"
TEST_ID_INDEBTED = "110101199001015668"
TEST_ID_COURT = "110101199001016767"
TEST_ID_DISHONEST = "110101199001017874"
TEST_ID_INCOME_BELOW = "110101199001018076"
# The sources a customer may authorise for income verification, one consent each.
INCOME_SOURCES = ("income_social", "income_tax", "income_bank")
TEST_PHONE_DEACTIVATED = "13800000001"
TEST_PHONE_OWNER_CHANGED = "13800000002"


class BureauAdapter(Protocol):
    def report(self, *, id_hash: str, id_number_encrypted: str = "") -> dict[str, Any]:
        """{"found": bool, "bureau_score", "inquiries_6m", "max_dpd_24m", "cc_utilisation",
        "monthly_debt_payments", "total_debt", "court_enforcement", "dishonest_debtor"}:
        court_enforcement is the court's list of persons subject to enforcement (被执行人),
        dishonest_debtor its list of dishonest debtors (失信被执行人)."""
        ...


class VerificationAdapter(Protocol):
    def three_factor(self, *, id_hash: str, phone_hash: str) -> dict[str, Any]:
        """{"result": "match" | "mismatch"}"""
        ...


class PhoneAdapter(Protocol):
    def status(self, *, phone_hash: str) -> dict[str, Any]:
        """{"status": "active" | "deactivated" | "owner_changed", "tenure_months": int}"""
        ...

    def status_many(self, *, phone_hashes: list[str]) -> dict[str, dict[str, Any]]:
        """{phone_hash: the status dict} for each hash asked (a batch of the book)."""
        ...


class ValuationAdapter(Protocol):
    def value(self, *, vehicle: dict, price: Decimal | None) -> dict[str, Any]:
        """{"guide_price": "123456.00", "basis": "msrp" | "used_valuation" | "deal_price"}"""
        ...

    def price_index(self, *, month: str) -> list[dict[str, Any]]:
        """The month's ("2026-03") residual-value table: [{"segment", "age_months",
        "region", "factor"}], factor a decimal string."""
        ...


class IncomeVerificationAdapter(Protocol):
    def verify(
        self, *, id_hash: str, sources: list[str], declared_monthly_income: Decimal
    ) -> dict[str, Any]:
        """{source: {"status": "matched" | "below" | "not_found"}} for each source asked; a
        "below" answer also carries "monthly_income" (a decimal string), what the source shows,
        when the provider gives it."""
        ...


@lru_cache(maxsize=32)
def _hash_of(value: str, key: str) -> str:  # noqa: ARG001 - key busts the cache on key change
    return keyed_hash(value)


def _h(value: str) -> str:
    return _hash_of(value, settings.HMAC_KEY)


class SandboxBureau(SandboxOnly):
    def report(self, *, id_hash: str, id_number_encrypted: str = "") -> dict[str, Any]:
        if id_hash == _h(TEST_ID_THIN):
            return {"found": False}
        if id_hash == _h(TEST_ID_DELINQUENT):
            return {
                "found": True,
                "bureau_score": 480,
                "inquiries_6m": 8,
                "max_dpd_24m": 90,
                "cc_utilisation": 0.95,
                "monthly_debt_payments": "6000.00",
                "total_debt": "180000.00",
                "court_enforcement": True,
                "dishonest_debtor": False,
            }
        variants = {
            _h(TEST_ID_INDEBTED): {"monthly_debt_payments": "6000.00", "total_debt": "216000.00"},
            _h(TEST_ID_COURT): {"court_enforcement": True},
            _h(TEST_ID_DISHONEST): {"court_enforcement": True, "dishonest_debtor": True},
        }
        if id_hash == _h(TEST_ID_CLEAN) or id_hash in variants:
            return {**_clean_file(), **variants.get(id_hash, {})}
        seed = int(hashlib.sha256(id_hash.encode()).hexdigest()[:8], 16)
        return {
            **_clean_file(),
            "bureau_score": 650 + seed % 100,
            "inquiries_6m": seed % 4,
            "cc_utilisation": (seed % 80) / 100,
        }


def _clean_file() -> dict[str, Any]:
    return {
        "found": True,
        "bureau_score": 650,
        "inquiries_6m": 1,
        "max_dpd_24m": 0,
        "cc_utilisation": 0.2,
        "monthly_debt_payments": "0.00",
        "total_debt": "0.00",
        "court_enforcement": False,
        "dishonest_debtor": False,
    }


class SandboxIncome(SandboxOnly):
    def verify(
        self, *, id_hash: str, sources: list[str], declared_monthly_income: Decimal
    ) -> dict[str, Any]:
        if id_hash == _h(TEST_ID_CLEAN):
            status = "matched"
        elif id_hash == _h(TEST_ID_THIN):
            status = "not_found"
        elif id_hash == _h(TEST_ID_INCOME_BELOW):
            status = "below"
        else:
            draw = int(hashlib.sha256(f"income:{id_hash}".encode()).hexdigest()[:8], 16) % 20
            status = "not_found" if draw == 0 else "below" if draw <= 2 else "matched"
        if status != "below":
            return {source: {"status": status} for source in sources}
        shown = (declared_monthly_income / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return {source: {"status": status, "monthly_income": str(shown)} for source in sources}


class SandboxVerification(SandboxOnly):
    def three_factor(self, *, id_hash: str, phone_hash: str) -> dict[str, Any]:
        if not id_hash or not phone_hash or id_hash == _h(TEST_ID_MISMATCH):
            return {"result": "mismatch"}
        return {"result": "match"}


class SandboxPhone(SandboxOnly):
    def status(self, *, phone_hash: str) -> dict[str, Any]:
        if phone_hash == _h(TEST_PHONE_DEACTIVATED):
            return {"status": "deactivated", "tenure_months": 0}
        if phone_hash == _h(TEST_PHONE_OWNER_CHANGED):
            return {"status": "owner_changed", "tenure_months": 1}
        return {"status": "active", "tenure_months": 36}

    def status_many(self, *, phone_hashes: list[str]) -> dict[str, dict[str, Any]]:
        special = {
            _h(TEST_PHONE_DEACTIVATED): {"status": "deactivated", "tenure_months": 0},
            _h(TEST_PHONE_OWNER_CHANGED): {"status": "owner_changed", "tenure_months": 1},
        }
        active = {"status": "active", "tenure_months": 36}
        return {h: dict(special.get(h, active)) for h in phone_hashes}


class SandboxValuation(SandboxOnly):
    def value(self, *, vehicle: dict, price: Decimal | None) -> dict[str, Any]:
        msrp = vehicle.get("msrp")
        if msrp in (None, ""):
            guide = price
            basis = "deal_price"
        elif vehicle.get("kind") == "used":
            age = Decimal(str(vehicle.get("age_years") or 0))
            km = Decimal(str(vehicle.get("mileage_km") or 0))
            mileage_factor = max(Decimal("0.5"), 1 - km / Decimal(600000))
            guide = Decimal(str(msrp)) * Decimal("0.85") ** int(age) * mileage_factor
            basis = "used_valuation"
        else:
            guide = Decimal(str(msrp))
            basis = "msrp"
        if guide is None:
            return {"guide_price": None, "basis": "none"}
        return {
            "guide_price": str(guide.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            "basis": basis,
        }

    def price_index(self, *, month: str) -> list[dict[str, Any]]:  # noqa: ARG002 - same each month
        return [
            {"segment": segment, "age_months": age, "region": region, "factor": str(factor)}
            for segment, yearly in SANDBOX_DEPRECIATION.items()
            for age in range(SANDBOX_MAX_AGE_MONTHS + 1)
            for region, factor in _sandbox_factors(yearly, age).items()
        ]


SANDBOX_DEPRECIATION = {
    "new": Decimal("0.85"),
    "used": Decimal("0.85"),
    "nev": Decimal("0.78"),
    "commercial": Decimal("0.82"),
}
SANDBOX_REGIONS = {"上海市": Decimal("1.02"), "广东省": Decimal("0.97")}
SANDBOX_MAX_AGE_MONTHS = 180


def _sandbox_factors(yearly: Decimal, age_months: int) -> dict[str, Decimal]:
    six = Decimal("0.000001")
    national = (yearly ** (Decimal(age_months) / 12)).quantize(six, rounding=ROUND_HALF_UP)
    factors = {"": national}
    for region, index in SANDBOX_REGIONS.items():
        factors[region] = min(Decimal(1), (national * index).quantize(six, rounding=ROUND_HALF_UP))
    return factors


class RiskAdapterError(Exception):
    """An outside data source failed; `retryable`: asking again later may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class _HttpAdapter:
    integration_rail = ""

    def __init__(self) -> None:
        self.client = SignedJsonClient(self.integration_rail)

    def _post(self, path: str, payload: dict, *, key: str) -> dict[str, Any]:
        try:
            return self.client.post(path, payload, idempotency_key=key)
        except IntegrationError as exc:
            raise RiskAdapterError(str(exc), retryable=exc.retryable) from exc


def _key(*parts: str) -> str:
    # A query is idempotent by what it asks (the provider bills one inquiry per key).
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class HttpBureau(_HttpAdapter):
    """POST /reports {id_hash, id_number_encrypted} -> the BureauAdapter.report dict."""

    integration_rail = "bureau"

    def report(self, *, id_hash: str, id_number_encrypted: str = "") -> dict[str, Any]:
        payload = {"id_hash": id_hash, "id_number_encrypted": id_number_encrypted}
        data = self._post("/reports", payload, key=_key("report", id_hash))
        if not isinstance(data.get("found"), bool):
            raise RiskAdapterError("bureau answered without 'found'")
        return data


class HttpVerification(_HttpAdapter):
    """POST /three-factor {id_hash, phone_hash} -> {"result": "match" | "mismatch"}."""

    integration_rail = "verification"

    def three_factor(self, *, id_hash: str, phone_hash: str) -> dict[str, Any]:
        payload = {"id_hash": id_hash, "phone_hash": phone_hash}
        data = self._post("/three-factor", payload, key=_key("3f", id_hash, phone_hash))
        if data.get("result") not in ("match", "mismatch"):
            raise RiskAdapterError(f"verification answered {data.get('result')!r}")
        return {"result": data["result"]}


class HttpPhone(_HttpAdapter):
    """POST /phone-status {phone_hash} -> {"status", "tenure_months"}."""

    integration_rail = "phone"

    def status(self, *, phone_hash: str) -> dict[str, Any]:
        data = self._post("/phone-status", {"phone_hash": phone_hash}, key=_key("ph", phone_hash))
        if data.get("status") not in ("active", "deactivated", "owner_changed"):
            raise RiskAdapterError(f"phone status answered {data.get('status')!r}")
        return {"status": data["status"], "tenure_months": int(data.get("tenure_months") or 0)}

    def status_many(self, *, phone_hashes: list[str]) -> dict[str, dict[str, Any]]:
        """POST /phone-status/batch {phone_hashes} -> {"statuses": {hash: {"status",
        "tenure_months"}}}; a hash the provider does not answer for is left out."""
        hashes = sorted(set(phone_hashes))
        data = self._post("/phone-status/batch", {"phone_hashes": hashes}, key=_key("phb", *hashes))
        answer = {}
        for h, item in (data.get("statuses") or {}).items():
            status = (item or {}).get("status")
            if h not in hashes or status not in ("active", "deactivated", "owner_changed"):
                raise RiskAdapterError(f"phone status batch answered {status!r}")
            answer[h] = {"status": status, "tenure_months": int(item.get("tenure_months") or 0)}
        return answer


class HttpValuation(_HttpAdapter):
    """POST /valuations {vehicle, price} -> {"guide_price", "basis"}."""

    integration_rail = "valuation"

    def value(self, *, vehicle: dict, price: Decimal | None) -> dict[str, Any]:
        payload = {"vehicle": vehicle, "price": None if price is None else str(price)}
        data = self._post(
            "/valuations", payload, key=_key("val", repr(sorted(vehicle.items())), str(price))
        )
        guide = data.get("guide_price")
        try:
            guide_price = (
                None
                if guide in (None, "")
                else str(Decimal(str(guide)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
            )
        except InvalidOperation as exc:
            raise RiskAdapterError(f"valuation answered guide_price {guide!r}") from exc
        return {"guide_price": guide_price, "basis": str(data.get("basis") or "provider")}

    def price_index(self, *, month: str) -> list[dict[str, Any]]:
        """POST /price-index {month} -> {"rows": [{"segment", "age_months", "region",
        "factor"}]}."""
        data = self._post("/price-index", {"month": month}, key=_key("idx", month))
        out = []
        try:
            for row in data.get("rows") or []:
                factor = Decimal(str(row["factor"]))
                if not Decimal(0) < factor <= 2:
                    raise RiskAdapterError(f"price index answered factor {factor}")
                out.append({"segment": str(row["segment"]), "age_months": int(row["age_months"]),
                            "region": str(row.get("region") or ""), "factor": str(factor)})  # fmt: skip
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise RiskAdapterError(f"price index answered {exc!r}") from exc
        if not out:
            raise RiskAdapterError("price index answered no rows")
        return out


class HttpIncome(_HttpAdapter):
    """POST /income-verifications {id_hash, sources, declared_monthly_income} ->
    {source: {"status": "matched" | "below" | "not_found", "monthly_income" with "below"}}."""

    integration_rail = "income"

    def verify(
        self, *, id_hash: str, sources: list[str], declared_monthly_income: Decimal
    ) -> dict[str, Any]:
        payload = {
            "id_hash": id_hash,
            "sources": sorted(sources),
            "declared_monthly_income": str(declared_monthly_income),
        }
        data = self._post(
            "/income-verifications",
            payload,
            key=_key("inc", id_hash, ",".join(sorted(sources)), str(declared_monthly_income)),
        )
        answer = {}
        for source in sources:
            status = (data.get(source) or {}).get("status")
            if status not in ("matched", "below", "not_found"):
                raise RiskAdapterError(f"income verification answered {status!r} for {source}")
            answer[source] = {"status": status}
            shown = (data.get(source) or {}).get("monthly_income")
            if status == "below" and shown not in (None, ""):
                answer[source]["monthly_income"] = _income_shown(shown, source)
        return answer


def _income_shown(value, source: str) -> str:
    """A provider's monthly income figure as a two-place decimal string; a figure that is not a
    positive amount is a broken answer, not a low income."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise RiskAdapterError(f"income verification answered {value!r} for {source}") from exc
    if not amount > 0:
        raise RiskAdapterError(f"income verification answered {value!r} for {source}")
    return str(amount)


def _adapter(path: str):
    return import_string(path)()


def bureau_adapter() -> BureauAdapter:
    return _adapter(settings.RISK_BUREAU_ADAPTER)


def verification_adapter() -> VerificationAdapter:
    return _adapter(settings.RISK_VERIFICATION_ADAPTER)


def phone_adapter() -> PhoneAdapter:
    return _adapter(settings.RISK_PHONE_ADAPTER)


def valuation_adapter() -> ValuationAdapter:
    return _adapter(settings.RISK_VALUATION_ADAPTER)


def income_adapter() -> IncomeVerificationAdapter:
    return _adapter(settings.RISK_INCOME_ADAPTER)
