"""What the customer is told (SMS) when their contract is issued or signed."""

from __future__ import annotations

from autofin.crypto import decrypt
from autofin.notifications import notification_send
from origination.models.applications import Application


def customer_notify(app: Application, body: str, *, purpose: str, key: str) -> None:
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    if mobile:
        notification_send(channel="sms", to=mobile, body=body, purpose=purpose, dedupe_key=key)
