"""A returning customer's new application starts from what we already verified: the applicant
step is prefilled from the primary applicant of their latest approved (or later) application,
for them to check and confirm rather than retype (issue 21 §1).

Only the customer's own applications count (the same rule as their "my applications" list:
their account's, or a dealer's that they confirmed with their phone), and only a draft of the
direct channel without an applicant yet is prefilled: once they saved the step, their own
answers are what the page shows. The bank account is not carried over: a new loan's repayment
card is verified afresh."""

from __future__ import annotations

from autofin.crypto import decrypt
from origination.models.applications import (
    Applicant,
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationStatus,
)
from origination.selectors.applications import applications_for_customer

S = ApplicationStatus
# the underwriting has verified the applicant's data by these statuses (the bureau, the ID
# check, the income) — a draft's or a declined application's answers are only what was typed
VERIFIED_STATUSES = (S.APPROVED, S.COUNTER_OFFERED, S.CONTRACT_SIGNED, S.FUNDED)
CARRIED_FIELDS = (
    "name",
    "birth_date",
    "marital_status",
    "address",
    "employment_kind",
    "employer",
    "employment_years",
    "housing",
    "monthly_income",
)


def customer_verified_applicant(customer) -> Applicant | None:
    """The one rule for a customer's verified data: the primary applicant of their latest
    application the underwriting verified (VERIFIED_STATUSES), among their own; None if none."""
    own = applications_for_customer(customer).filter(status__in=VERIFIED_STATUSES).values("pk")
    return (
        Applicant.objects.filter(application__in=own, role=ApplicantRole.PRIMARY)
        .order_by("-application__decided_at", "-application__created_at", "-application_id")
        .first()
    )


def verified_applicant_data(source: Applicant, *, repayment_card: bool = False) -> dict:
    """What is carried from the verified applicant, as the applicant step takes it: identity,
    contact, address, employment and income. `repayment_card`: a purchase for the same financed
    car (maintenance, insurance) is repaid from the card already verified; a new car loan's card
    is verified afresh, so it is not carried then."""
    data = {field: getattr(source, field) for field in CARRIED_FIELDS}
    data["id_number"] = decrypt(source.id_number_enc)
    data["mobile"] = decrypt(source.mobile_enc)
    if repayment_card:
        data["bank_account"] = decrypt(source.bank_account_enc) if source.bank_account_enc else ""
    return data


def returning_applicant_source(application: Application) -> Applicant | None:
    """The primary applicant whose data prefills ``application``'s applicant step, or None (not
    a fresh direct-channel draft, or a customer without a verified application)."""
    if (
        application.channel != ApplicationChannel.DIRECT
        or application.customer is None
        or application.status != S.DRAFT
        or application.applicants.exists()
    ):
        return None
    return customer_verified_applicant(application.customer)


def returning_applicant_prefill(application: Application) -> dict:
    """The applicant form's initial values from the customer's latest verified application
    ({} when there is none)."""
    source = returning_applicant_source(application)
    if source is None:
        return {}
    return verified_applicant_data(source)
