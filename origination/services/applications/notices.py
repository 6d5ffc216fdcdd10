"""What the customer (SMS) and the dealer's salesperson (e-mail) are told when their
application moves."""

from __future__ import annotations

from django.utils.translation import gettext as _

from autofin.crypto import decrypt
from autofin.notifications import notification_send
from origination.models.applications import Application


def application_notify(
    app: Application, template, purpose: str, *, tell_dealer: bool = True
) -> None:
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    if mobile:
        notification_send(
            channel="sms",
            to=mobile,
            body=str(template) % {"ref": app.reference},
            purpose=purpose,
            dedupe_key=f"application:{app.reference}:{purpose}:{app.status}",
        )
    if tell_dealer and app.salesperson_id and app.salesperson.email:
        notification_send(
            channel="email",
            to=app.salesperson.email,
            subject=_("申请 %(ref)s 状态更新") % {"ref": app.reference},
            body=str(template) % {"ref": app.reference},
            purpose=purpose,
            dedupe_key=f"application:{app.reference}:{purpose}:{app.status}:dealer",
        )
