"""The customer's self-service change of mobile number, re-verified by an SMS code."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.services.applications.errors import ApplicationValidationError
from origination.services.signup import sms_code_send, sms_code_verify
from origination.validators import validate_mobile
from servicing.services.loans.account import LoanError

# --- customer contact details ---------------------------------------------------------------------


def customer_phone_change_start(*, user: Any, phone: str) -> str:
    """Send an SMS code to the new number (re-verification); returns the normalised number."""

    try:
        sms_code_send(phone=phone, purpose="contact_change", client=f"user:{user.pk}")
    except ApplicationValidationError as exc:
        errors = getattr(exc, "errors", None) or {"phone": [str(exc)]}
        raise LoanError(
            "；".join(str(m) for m in errors.get("phone", [str(exc)])), field="phone"
        ) from None

    return validate_mobile(phone)


def customer_phone_change_confirm(*, user: Any, phone: str, code: str) -> Any:
    """Change the customer's mobile number once the code sent to it checks out; audited."""

    if not sms_code_verify(phone=phone, code=code, purpose="contact_change"):
        raise LoanError(_("验证码错误或已过期。"), field="code")
    with transaction.atomic():
        old = user.phone
        user.phone = phone
        user.save(update_fields=["phone"])
        audit_record(
            actor=user,
            obj=user,
            action="contact_phone_change",
            from_state=old[-4:] if old else "",
            to_state=phone[-4:],
            reason=_("客户自助修改手机号（短信验证）"),
        )
    return user
