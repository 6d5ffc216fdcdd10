"""The facts a risk decision is made from, gathered into a plain dict (``risk.facts.Facts``
shape): risk reads no origination model. Personal identifiers appear only as keyed hashes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from autofin.business_date import business_date_current
from autofin.crypto import keyed_hash
from dealers.selectors import dealer_risk_facts
from origination.models.applications import Applicant, ApplicantRole, Application
from origination.models.documents import ApplicationDocument
from origination.models.privacy import Consent
from origination.quoting.rules import LtvRule, ProductRules
from origination.selectors.products import product_rules
from origination.services.applications.applicants import maturity_date
from origination.services.applications.vehicle import months_between
from origination.services.document_ocr import documents_read_facts
from origination.validators import age_on


def _s(value) -> str | None:
    return None if value is None else str(value)


def application_facts(application: Application) -> dict:
    app = application
    today = business_date_current()
    documents = list(app.documents.all())  # asked once: read three times below
    applicants = {a.role: a for a in app.applicants.all()}
    primary = applicants.get(ApplicantRole.PRIMARY)
    rules = product_rules(version=app.product_version)
    ltv_rule = rules.ltv_rule(app.vehicle_kind, app.vehicle_use)
    applicant = _applicant_facts(primary, app, today, documents) if primary is not None else {}
    vehicle = _vehicle_facts(app, today)
    items = {i.item_kind: i for i in app.items.all()}
    facts = {
        "application_ref": app.reference,
        "channel": app.channel,
        "applicant": applicant,
        "deal": {
            "product_line": rules.vehicle_kind,
            "contract_type": rules.contract_type,
            "purpose": rules.purpose,
            "price": _s(app.vehicle_price),
            "down_payment": _s(app.down_payment),
            "amount_financed": _s(app.amount_financed),
            "term_months": app.term_months,
            "method": app.method,
            "instalment": _s(app.monthly_payment),
            "ltv": _s(app.ltv),
            "vin_hash": keyed_hash(app.vin) if app.vin else None,
            "vehicle": vehicle,
            "add_ons": {k: str(i.amount) for k, i in items.items() if k != "car"},
        },
        "product_rules": _product_rule_facts(rules, ltv_rule, term_months=app.term_months),
        "documents": sorted(d.sha256 for d in documents),
        "document_phashes": sorted({d.phash for d in documents if d.phash}),
        "documents_read": documents_read_facts(app, today=today, primary=primary),
        "co_applicant": _co_applicant_facts(applicants),
        "consents": _consent_facts(app),
    }
    if app.preapproval:
        facts["preapproval"] = app.preapproval
    if app.dealer_id:
        facts["dealer"] = _dealer_facts(app.dealer_id)
        facts["salesperson_id"] = app.salesperson_id
    if app.monthly_payment and primary is not None and primary.monthly_income:
        facts["deal"]["instalment_income_ratio"] = str(
            (app.monthly_payment / primary.monthly_income).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
        )
    return facts


def _applicant_facts(
    primary: Applicant, app: Application, today: dt.date, documents: list[ApplicationDocument]
) -> dict:
    return {
        "age": age_on(primary.birth_date, today) if primary.birth_date else None,
        "age_at_maturity": (
            age_on(primary.birth_date, maturity_date(app)) if primary.birth_date else None
        ),
        "income_monthly": _s(primary.monthly_income),
        # Nobody has matched the income against a payslip or tax record at this point;
        # risk's policy decides what an income proof document alone is worth.
        "income_verified": False,
        "income_proof_provided": any(d.doc_kind == "income_proof" for d in documents)
        or _earlier_income_proof(app),
        "id_hash": primary.id_number_hash,
        "phone_hash": primary.mobile_hash,
        "bank_account_hash": primary.bank_account_hash or None,
        "employment_years": (
            float(primary.employment_years) if primary.employment_years is not None else None
        ),
        "housing": primary.housing or None,
        "marital_status": primary.marital_status or None,
    }


def _earlier_income_proof(app: Application) -> bool:
    """A maintenance or insurance application carries no documents of its own: the income
    proof of the customer's car application it was made from counts (purchase.py)."""
    earlier = (app.preapproval or {}).get("prior_application_id")
    if not earlier:
        return False
    return ApplicationDocument.objects.filter(
        application_id=earlier, application__customer_id=app.customer_id, doc_kind="income_proof"
    ).exists()


def _vehicle_facts(app: Application, today: dt.date) -> dict:
    vehicle: dict = {"kind": app.vehicle_kind, "use": app.vehicle_use}
    if app.first_registration_date:
        vehicle["age_years"] = round(months_between(app.first_registration_date, today) / 12, 2)
    if app.mileage_km is not None:
        vehicle["mileage_km"] = float(app.mileage_km)
    return vehicle


def _product_rule_facts(rules: ProductRules, ltv_rule: LtvRule | None, *, term_months: int) -> dict:
    return {
        "product_code": rules.product_code,
        "version": rules.version,
        "ltv_cap": _s(ltv_rule.max_ltv) if ltv_rule else None,
        "min_down_payment_ratio": _s(ltv_rule.min_down_payment_ratio) if ltv_rule else None,
        "terms_allowed": list(rules.terms),
        "amount_min": _s(rules.amount_min),
        "amount_max": _s(rules.amount_max),
        "rate_table": {
            tier: _s(rate)
            for (term, tier), rate in sorted(rules.rates.items())
            if term == term_months and rules.rate_basis == "fixed"
        },
        "day_count": rules.day_count,
    }


def _consent_facts(app: Application) -> dict:
    """The consents in force, by kind: risk asks the bureau only on the credit_bureau one and
    logs its reference with the query."""
    active = Consent.objects.filter(application=app, withdrawn_at__isnull=True)
    return {
        c.consent_kind: {"ref": f"consent:{c.pk}", "given_at": c.given_at.isoformat()}
        for c in active.order_by("given_at", "pk")
    }


def _co_applicant_facts(applicants: dict[str, Applicant]) -> dict:
    return {
        "present": ApplicantRole.CO_APPLICANT in applicants,
        "guarantor_present": ApplicantRole.GUARANTOR in applicants,
        "id_hashes": [
            a.id_number_hash for r, a in applicants.items() if r != ApplicantRole.PRIMARY
        ],
    }


def _dealer_facts(dealer_id: int) -> dict:
    """The dealer's grade and status as risk reads them (dates as ISO strings)."""
    dealer = dealer_risk_facts(dealer_id=dealer_id)
    grade_as_of = dealer.get("grade_as_of")
    dealer["grade_as_of"] = grade_as_of.isoformat() if grade_as_of else None
    return dealer
