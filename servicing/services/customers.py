"""The customer page's one write: revealing a customer's full mobile and resident ID number to
an agent, for that request only, with the reason asked and an audit row (who, whom, why).
The page itself shows them masked (servicing.selectors.customers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt
from autofin.roles import Role, user_has_role
from servicing.selectors.customers import customer_primary_applicant, customers, phone_masked

# who opens the customer page; the auditor reads it but reveals nothing (read only)
CUSTOMER_VIEW_ROLES = (
    Role.SERVICING_AGENT,
    Role.COLLECTOR,
    Role.CARE_SUPERVISOR,
    Role.COMPLIANCE_OFFICER,
    Role.AUDITOR,
)
REVEAL_ROLES = (
    Role.SERVICING_AGENT,
    Role.COLLECTOR,
    Role.CARE_SUPERVISOR,
    Role.COMPLIANCE_OFFICER,
)
REASON_MIN_CHARS = 4


class CustomerRevealError(Exception):
    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def customer_identity_reveal(*, customer_id: int, actor: Any, reason: str) -> dict:
    """The customer's full mobile and ID number for one agent's request, audited; refused
    without a reason (nothing written) or to a role that may not reveal."""
    if not user_has_role(actor, *REVEAL_ROLES):
        raise CustomerRevealError(_("您没有查看客户完整信息的权限。"), code="forbidden")
    reason = " ".join(str(reason or "").split())
    if len(reason) < REASON_MIN_CHARS:
        raise CustomerRevealError(
            _("请填写查看原因（至少 %(n)s 个字）。") % {"n": REASON_MIN_CHARS}
        )
    customer = customers().get(pk=customer_id)
    applicant = customer_primary_applicant(customer)
    id_number = decrypt(applicant.id_number_enc) if applicant else ""
    audit_record(
        actor=actor,
        obj=customer,
        action="customer_identity_reveal",
        reason=reason,
        data={
            "mobile": phone_masked(customer.phone),
            "id_number": applicant.id_number_masked if applicant else "",
        },
    )
    return {"mobile": customer.phone, "id_number": id_number}
