"""Notifications: every SMS and e-mail goes through notification_send().

A message is stored as an OutboundMessage, then delivered after commit by a Celery task through
the configured gateway. Gateways are adapters with one documented method; the sandbox ones
deliver to nowhere and leave the stored message as the record (viewable in the admin).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly
from autofin.models import OutboundMessage
from autofin.scheduling import after_commit

# Declared in autofin.tasks, which imports this module: scheduled by name so the import is one-way.
NOTIFICATION_DELIVER_TASK = "autofin.tasks.notification_deliver"

log = logging.getLogger(__name__)

MESSAGE_ID_HEADER = "X-AutoFin-Message-Id"
# Customers are contacted between 08:00 and 21:00 Beijing time only (collections conduct rules).
QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(8, 0)


class GatewayError(Exception):
    """A delivery failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsGateway(Protocol):
    """Send one text message to a mainland mobile number; return the provider's reference.
    `key` identifies the message: a resend with the same key is not texted twice.

    Raise GatewayError on failure.
    """

    name: str

    def send(self, *, to: str, body: str, key: str = "") -> str: ...


class SandboxSmsGateway(SandboxOnly):
    """Accepts every message and returns a reference; numbers starting 1990000 fail (for tests)."""

    name = "sandbox-sms"

    def send(self, *, to: str, body: str, key: str = "") -> str:
        if to.startswith("1990000"):
            raise GatewayError(f"sandbox: number {to} is not reachable", retryable=False)
        return f"SBX-SMS-{uuid.uuid4().hex[:16]}"


class SandboxEmailBackend(SandboxOnly, BaseEmailBackend):
    """A Django e-mail backend that stores mail instead of sending it.

    Mail sent through notification_send() is already stored; mail Django sends directly
    (password reset) is stored here, so the outbox shows everything.
    """

    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            if message.extra_headers.get(MESSAGE_ID_HEADER):
                count += 1
                continue
            for recipient in message.recipients():
                OutboundMessage.objects.create(
                    channel=OutboundMessage.Channel.EMAIL,
                    to=recipient,
                    subject=message.subject[:200],
                    body=message.body,
                    purpose="django_mail",
                    status=OutboundMessage.Status.SENT,
                    sent_at=timezone.now(),
                    gateway="sandbox-email",
                    provider_ref=f"SBX-MAIL-{uuid.uuid4().hex[:16]}",
                )
            count += 1
        return count


class HttpSmsGateway:
    """The SMS provider over the signed JSON protocol (docs/integrations.md):
    POST /sms {to, body} -> {"message_id"}. The idempotency key is the message's own, so a
    retried delivery is never texted twice."""

    integration_rail = "sms"

    name = "sms-http"

    def __init__(self) -> None:
        self.client = SignedJsonClient("sms")

    def send(self, *, to: str, body: str, key: str = "") -> str:
        try:
            data = self.client.post("/sms", {"to": to, "body": body}, idempotency_key=key)
        except IntegrationError as exc:
            raise GatewayError(str(exc), retryable=exc.retryable) from exc
        ref = str(data.get("message_id") or "")
        if not ref:
            raise GatewayError("SMS provider answered without message_id", retryable=False)
        return ref


class HttpEmailBackend(BaseEmailBackend):
    """A Django e-mail backend for the mail provider over the signed JSON protocol:
    POST /mail {from, to, subject, body} -> {"message_id"}, one call per message (its
    X-AutoFin-Message-Id, when it has one, is the idempotency key)."""

    integration_rail = "email"

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.client = SignedJsonClient("email")

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            mid = message.extra_headers.get(MESSAGE_ID_HEADER)
            try:
                self.client.post(
                    "/mail",
                    {
                        "from": message.from_email,
                        "to": list(message.recipients()),
                        "subject": message.subject,
                        "body": message.body,
                    },
                    idempotency_key=f"mail:{mid}" if mid else "",
                )
            except IntegrationError as exc:
                if not self.fail_silently:
                    raise GatewayError(str(exc), retryable=exc.retryable) from exc
                continue
            sent += 1
        return sent


def sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_BACKEND)()


def next_contact_time(at: dt.datetime) -> dt.datetime:
    """The earliest time at or after `at` that is inside Beijing contact hours (08:00–21:00)."""
    local = timezone.localtime(at)
    t = local.time()
    if QUIET_END <= t < QUIET_START:
        return local
    day = local.date() if t < QUIET_END else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, QUIET_END))


def notification_send(
    *,
    channel: str,
    to: str,
    body: str,
    subject: str = "",
    purpose: str = "",
    respect_quiet_hours: bool = False,
    dedupe_key: str | None = None,
) -> OutboundMessage | None:
    """Store a message and deliver it after the caller's transaction commits.

    With a dedupe_key, a second call for the same key stores nothing and returns None, so a
    re-run batch never texts a customer twice.
    """
    if channel not in OutboundMessage.Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not to:
        raise ValueError("a message needs a recipient")
    not_before = next_contact_time(timezone.now()) if respect_quiet_hours else None
    try:
        with transaction.atomic():
            msg = OutboundMessage.objects.create(
                channel=channel,
                to=to,
                subject=subject[:200],
                body=body,
                purpose=purpose,
                not_before=not_before,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if not_before is None or not_before <= timezone.now():
        after_commit(NOTIFICATION_DELIVER_TASK, msg.pk)
    return msg


def notification_deliver_now(*, message_id: int) -> OutboundMessage:
    """Deliver one stored message through its gateway; safe to call twice (sent stays sent)."""
    with transaction.atomic():
        msg = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if msg.status != OutboundMessage.Status.QUEUED:
            return msg
        if msg.not_before and msg.not_before > timezone.now():
            return msg
        msg.attempts += 1
        try:
            if msg.channel == OutboundMessage.Channel.SMS:
                gateway = sms_gateway()
                msg.gateway = gateway.name
                msg.provider_ref = gateway.send(to=msg.to, body=msg.body, key=f"sms:{msg.pk}")
            else:
                email = EmailMessage(
                    subject=msg.subject,
                    body=msg.body,
                    to=[msg.to],
                    headers={MESSAGE_ID_HEADER: str(msg.pk)},
                )
                email.send()
                msg.gateway = settings.EMAIL_BACKEND.rsplit(".", 1)[-1]
                msg.provider_ref = f"MAIL-{msg.pk}"
            msg.status = OutboundMessage.Status.SENT
            msg.sent_at = timezone.now()
            msg.error = ""
        except GatewayError as exc:
            msg.error = str(exc)
            if not exc.retryable:
                msg.status = OutboundMessage.Status.FAILED
        msg.save()
        return msg


def notifications_due() -> list[int]:
    """Ids of queued messages whose quiet-hours wait is over (picked up by a periodic task)."""
    now = timezone.now()
    return list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, not_before__lte=now)
        .order_by("id")
        .values_list("id", flat=True)[:5000]
    )
