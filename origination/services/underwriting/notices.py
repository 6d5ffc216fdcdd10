"""What the customer (SMS) and the dealer's salesperson (e-mail) are told of an underwriter's
decision."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.crypto import decrypt
from autofin.notifications import notification_send
from origination.models.applications import Application


def underwriting_notify(app: Application, body: str, *, purpose: str) -> None:
    """The customer by SMS and the dealer's salesperson by e-mail."""
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    key = f"underwriting:{app.reference}:{purpose}:{timezone.now().timestamp()}"
    if mobile:
        notification_send(channel="sms", to=mobile, body=body, purpose=purpose, dedupe_key=key)
    if app.salesperson_id and app.salesperson.email:
        notification_send(
            channel="email",
            to=app.salesperson.email,
            subject=_("申请 %(ref)s 审批进展") % {"ref": app.reference},
            body=body,
            purpose=purpose,
            dedupe_key=f"{key}:dealer",
        )
