"""Customer due diligence of an application at decision: the primary applicant screened against
the watch lists and given a money-laundering risk rating (both owned by risk; origination hands
over the plain facts). A hit does not change the credit decision; it holds the funding."""

from __future__ import annotations

import re

from origination.models.applications import ApplicantRole, Application
from risk.services import customer_risk_rate, screening_run

ACTOR = "aml_due_diligence"
# Only the province (or municipality) of the address goes to risk: the rating needs no more.
PROVINCE = re.compile(r"^(.{2,8}?(?:自治区|省|市))")


def province_of(address: str) -> str:
    m = PROVINCE.match((address or "").strip())
    return m.group(1) if m else ""


def application_aml_check(*, application: Application, facts: dict) -> None:
    primary = application.applicants.filter(role=ApplicantRole.PRIMARY).first()
    if primary is None:
        return
    screening_run(
        subject_ref=application.reference,
        name=primary.name,
        id_hash=primary.id_number_hash,
        birth_date=primary.birth_date,
        actor=ACTOR,
    )
    customer_risk_rate(
        subject_ref=application.reference,
        id_hash=primary.id_number_hash,
        facts={
            "occupation": primary.employment_kind or "",
            "region": province_of(primary.address),
            "product_line": (facts.get("deal") or {}).get("product_line") or "",
            "channel": application.channel,
        },
        actor=ACTOR,
    )
