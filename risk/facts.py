"""The facts a decision is made from: the whole input of ``decision_make``.

Origination gathers them (risk reads no other app) and passes a plain dict shaped like
``Facts``. Money is a Decimal or a decimal string ("123456.00"); it is stored as given (JSON) with
the decision so the decision can be replayed. Personal identifiers arrive only as keyed hashes
(``autofin.crypto.keyed_hash``): the sandbox adapters recognise their test identities by
comparing hashes (see risk.adapters), so no plain ID number ever reaches risk.

Missing optional keys are fine: rules that need them do not fire, and the scorecard puts the
variable in its "missing" bin.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict


class ApplicantFacts(TypedDict, total=False):
    age: int  # completed years on the application date
    age_at_maturity: int  # age on the last due date
    income_monthly: Decimal | str  # declared monthly income, CNY
    income_verified: bool  # payslip / bank statement / tax record matched
    income_proof_provided: bool  # an income-proof document came with the application
    id_hash: str  # keyed_hash(resident ID number)
    phone_hash: str  # keyed_hash(mobile number)
    bank_account_hash: str  # keyed_hash(repayment bank account)
    employment_years: float
    housing: str  # own / mortgage / rent / family
    id_number_encrypted: str  # optional, autofin.crypto.encrypt(id): only for real bureau adapters


class VehicleFacts(TypedDict, total=False):
    kind: str  # vehicle_kind: new / used / nev / commercial
    age_years: float  # used cars: years since first registration
    mileage_km: float
    msrp: Decimal | str  # the manufacturer's guide price of the model (vehicle catalogue)


class DealFacts(TypedDict, total=False):
    product_line: str  # new / used / nev / commercial
    contract_type: str  # loan / direct_lease / sale_leaseback
    price: Decimal | str  # car price
    down_payment: Decimal | str
    amount_financed: Decimal | str
    term_months: int
    method: str  # equal_instalment / equal_principal / interest_only / balloon
    instalment: Decimal | str  # the quoted instalment (informative: risk re-prices at tier rate)
    ltv: Decimal | str  # car's part of the amount financed / car price
    vin_hash: str  # keyed_hash(VIN)
    vehicle: VehicleFacts
    purpose: str  # vehicle / maintenance / insurance_renewal (the product's; no car rules apply)


class ProductRules(TypedDict, total=False):
    ltv_cap: Decimal | str  # e.g. "0.80"
    min_down_payment_ratio: Decimal | str  # e.g. "0.20"
    terms_allowed: list[int]
    amount_min: Decimal | str
    amount_max: Decimal | str
    rate_table: dict[str, Decimal | str]  # tier -> annual rate fraction, {"A": "0.0599", ...}
    max_instalment_income_ratio: Decimal | str  # default "0.50"
    co_applicant_required: bool
    gps_required: bool
    day_count: str  # "30/360" (default) or "ACT/365F"


class DealerFacts(TypedDict, total=False):
    dealer_id: int
    grade: str  # dealer_grade A-D
    status: str  # active / suspended / terminated


class CoApplicantFacts(TypedDict, total=False):
    present: bool


class ConsentFacts(TypedDict, total=False):
    ref: str  # the consent's reference at the caller ("consent:42"): logged with each query
    given_at: str  # ISO datetime


class DocumentsReadFacts(TypedDict, total=False):
    """What OCR read on the application's documents, compared with the application."""

    read: list[str]  # document kinds read: id_front, id_back, driving_licence, invoice ...
    mismatches: list[str]  # "<kind>.<field>" shown differently from the application
    expired: list[str]  # kinds past their validity date (id_back, driving_licence)
    edited: list[str]  # kinds whose image names an editing program in EXIF
    invoice_price: Decimal | str | None  # 价税合计 on the purchase invoice


class Facts(TypedDict, total=False):
    applicant: ApplicantFacts
    deal: DealFacts
    product_rules: ProductRules
    dealer: DealerFacts
    salesperson_id: int
    documents: list[str]  # sha256 (or keyed hash) of each uploaded document file
    document_phashes: list[str]  # perceptual hash (16 hex digits) of each document image
    documents_read: DocumentsReadFacts
    co_applicant: CoApplicantFacts
    # consents in force, by kind; the bureau is asked only with consents["credit_bureau"]
    consents: dict[str, ConsentFacts]
    # an existing customer's offer taken up: {"decision": the stored pre-approval, "facts_now":
    # their facts when they applied} (risk.services.preapproval.preapproval_recheck)
    preapproval: dict


def dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return default
    return value if isinstance(value, Decimal) else Decimal(str(value))


def debt_to_income_ratio(
    *, income: Decimal | None, other_debt: Decimal, instalment: Decimal | None
) -> Decimal | None:
    """负债收入比: the bureau's monthly debt payments plus the instalment, over the monthly
    income (None without an income or an instalment). The one formula: the decision's cap
    check and the figure the underwriter reads."""
    if not income or instalment is None:
        return None
    return (other_debt + instalment) / income


def income_verified_below(inputs: dict) -> dict | None:
    """What the authorised income sources show when they show less than declared:
    {"monthly_income": the lowest monthly income a source shows, "sources": those showing less}.
    None when no source shows less, or when one that does gives no figure: then nothing is
    verified and the declared income stands (R01 refers). Decisions stored before the sources
    gave figures read None here, so they replay on the declared income as they were made."""
    answers = {k: v or {} for k, v in (inputs.get("income") or {}).items()}
    below = {k: v for k, v in answers.items() if v.get("status") == "below"}
    if not below or any(not dec(v.get("monthly_income")) for v in below.values()):
        return None
    return {
        "monthly_income": min(dec(v["monthly_income"]) for v in below.values()),
        "sources": sorted(below),
    }


def income_for_decision(facts: dict, inputs: dict) -> Decimal | None:
    """The monthly income the decision is made on: what the sources verified when they show
    less than declared, else the declared income. The one figure affordability, the
    debt-to-income ratio and the scorecard read."""
    declared = dec(section(facts, "applicant").get("income_monthly"))
    verified = income_verified_below(inputs)
    if verified is None:
        return declared
    return (
        verified["monthly_income"]
        if declared is None
        else min(declared, verified["monthly_income"])
    )


def section(facts: dict, name: str) -> dict:
    value = facts.get(name) or {}
    return value if isinstance(value, dict) else {}


def scoring_features(facts: dict, inputs: dict) -> dict[str, Any]:
    """The flat record the scorecards read, named like the columns of the training data
    (risk.scorecard.synth): facts first, the bureau report for the bureau variables."""
    applicant = section(facts, "applicant")
    deal = section(facts, "deal")
    vehicle = section(deal, "vehicle")
    dealer = section(facts, "dealer")
    bureau = inputs.get("bureau") or {}
    price = dec(deal.get("price"))
    down = dec(deal.get("down_payment"))
    income = income_for_decision(facts, inputs)
    instalment = dec(inputs.get("instalment") or deal.get("instalment"))

    def f(value):
        return None if value is None else float(value)

    return {
        "product_line": deal.get("product_line"),
        "age": applicant.get("age"),
        "income_monthly": f(income),
        "employment_years": applicant.get("employment_years"),
        "housing": applicant.get("housing"),
        "price": f(price),
        "vehicle_age_years": vehicle.get("age_years")
        if deal.get("product_line") == "used"
        else None,
        "mileage_km": vehicle.get("mileage_km") if deal.get("product_line") == "used" else None,
        "down_payment_ratio": f(down / price) if price and down is not None else None,
        "ltv": f(dec(deal.get("ltv"))),
        "term_months": deal.get("term_months"),
        "instalment": f(instalment),
        "instalment_income_ratio": f(instalment / income) if instalment and income else None,
        "dealer_grade": dealer.get("grade"),
        "inquiries_6m": bureau.get("inquiries_6m"),
        "max_dpd_24m": bureau.get("max_dpd_24m"),
        "cc_utilisation": bureau.get("cc_utilisation"),
    }
