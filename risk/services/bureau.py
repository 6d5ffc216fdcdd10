"""Asking the credit bureau (征信查询): only on the person's consent, and every query on record
with its purpose — 贷前审批 when an application is decided, 贷后管理 when a funded loan is
re-checked (the caller of a post-funding re-check passes ``purpose=POST_LOAN`` and
``requested_by="loan-recheck"``, or the username of the person who asked).

Risk reads no other app's tables, so the caller states the consent it holds: the consent dict
names it (``{"ref": "consent:42", "given_at": "..."}``, as origination's facts carry it under
``facts["consents"]["credit_bureau"]``); without one nothing is asked and nothing is logged.
"""

from __future__ import annotations

from typing import Any

from risk import adapters
from risk.models import BureauQuery

PRE_LOAN = BureauQuery.Purpose.PRE_LOAN
POST_LOAN = BureauQuery.Purpose.POST_LOAN


class BureauConsentMissing(ValueError):
    """No bureau consent (征信查询授权) in force: the bureau was not asked."""

    def __init__(self, subject_ref: str) -> None:
        super().__init__(f"{subject_ref}: no credit-bureau consent in force; bureau not queried")
        self.subject_ref = subject_ref


def bureau_consent_of(facts: dict) -> dict | None:
    """The bureau consent an application's facts carry, or None."""
    consents = facts.get("consents") or {}
    consent = consents.get("credit_bureau") if isinstance(consents, dict) else None
    return consent if isinstance(consent, dict) else None


def bureau_query(
    *,
    id_hash: str,
    purpose: str,
    subject_ref: str,
    consent: dict | None,
    requested_by: str,
    id_number_encrypted: str = "",
) -> dict[str, Any]:
    """The bureau's report on ``id_hash``, asked for ``purpose`` on ``consent``; logged.

    Raises BureauConsentMissing (nothing asked, nothing logged) without a consent reference.
    The log row is committed before the bureau is asked (no transaction is held open over the
    call) and then records the answer or the failure, which is raised again to the caller."""
    if purpose not in BureauQuery.Purpose.values:
        raise ValueError(f"unknown bureau query purpose {purpose!r}")
    consent_ref = str((consent or {}).get("ref") or "").strip()
    if not consent_ref or (consent or {}).get("withdrawn_at"):
        raise BureauConsentMissing(subject_ref)
    row = BureauQuery.objects.create(
        purpose=purpose,
        id_hash=id_hash,
        subject_ref=subject_ref,
        consent_ref=consent_ref[:64],
        requested_by=str(requested_by)[:150],
    )
    try:
        report = adapters.bureau_adapter().report(
            id_hash=id_hash, id_number_encrypted=id_number_encrypted
        )
    except Exception as exc:
        row.status = BureauQuery.Status.FAILED
        row.error = f"{type(exc).__name__}: {exc}"[:200]
        row.save(update_fields=["status", "error"])
        raise
    row.status = BureauQuery.Status.ANSWERED
    row.found = bool(report.get("found"))
    row.save(update_fields=["status", "found"])
    return report
