"""The dealer channel: the customer confirms the application a salesperson made, and gives
the consents, through a signed link sent by SMS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.crypto import decrypt, keyed_hash
from autofin.notifications import notification_send
from origination.models.applications import Application
from origination.services.applications.consents import (
    application_consents_give,
    consent_texts_current,
)
from origination.services.applications.errors import ApplicationValidationError
from origination.services.signup import sms_code_send, sms_code_verify
from origination.services.state import event_record

CONFIRM_SALT = "origination.application-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
CONFIRM_CODE_PURPOSE = "app_confirm"


def confirmation_token(application: Application) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(
        f"{application.reference}:{application.customer_key[:16]}"
    )


def application_for_confirmation_token(token: str) -> Application | None:
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    reference, _sep, key = value.partition(":")
    app = Application.objects.filter(reference=reference).first()
    if app is None or app.customer_key[:16] != key:
        return None  # the mobile changed since the link was sent
    return app


def application_confirmation_send(*, actor: Any, application: Application, link_base: str) -> str:
    """Text the customer the link to confirm the application and give the consents."""
    token = confirmation_token(application)
    url = f"{link_base.rstrip('/')}/apply/confirm/{token}/"
    with transaction.atomic():
        notification_send(
            channel="sms",
            to=decrypt(application.customer_mobile_enc),
            body=_(
                "【AutoFin】%(dealer)s为您提交了汽车金融申请 %(ref)s，请点击链接确认并授权：%(url)s"
            )
            % {
                "dealer": application.dealer.legal_name if application.dealer else "",
                "ref": application.reference,
                "url": url,
            },
            purpose="application_confirm",
        )
        event_record(application=application, kind="confirmation_sent", actor=actor)
    return url


def _invalid_link() -> ApplicationValidationError:
    return ApplicationValidationError({"__all__": [_("链接无效或已过期，请联系经销商重新发送。")]})


def application_confirm_code_send(*, token: str, client: str = ""):
    """Text the application's mobile a one-time code: whoever opened the link proves they hold
    the phone before giving consent. The text names the application and the dealer."""
    app = application_for_confirmation_token(token)
    if app is None:
        raise _invalid_link()
    text = _(
        "【AutoFin】您正在确认%(dealer)s提交的汽车金融申请 %(ref)s，验证码是 %%(code)s，"
        "5 分钟内有效。如非本人操作请忽略，请勿告诉他人。"
    ) % {"dealer": app.dealer.legal_name if app.dealer else "", "ref": app.reference}
    return sms_code_send(
        phone=decrypt(app.customer_mobile_enc),
        purpose=CONFIRM_CODE_PURPOSE,
        client=client,
        text=text,
    )


def application_customer_confirm(
    *,
    token: str,
    kinds: Iterable[str],
    code: str,
    text_versions=None,
    user=None,
    ip: str | None = None,
) -> Application:
    """The customer opened the SMS link, read the consent texts, ticked them and entered the
    code sent to the application's mobile. A wrong or expired code changes nothing (but the
    code's attempt count)."""
    app = application_for_confirmation_token(token)
    if app is None:
        raise _invalid_link()
    kinds = list(kinds)
    required = [k for k, t in consent_texts_current().items() if t.required]
    missing = [k for k in required if k not in kinds]
    if missing:
        raise ApplicationValidationError({k: [_("提交申请须同意此项授权。")] for k in missing})
    if not str(code or "").strip() or not sms_code_verify(
        phone=decrypt(app.customer_mobile_enc), code=str(code), purpose=CONFIRM_CODE_PURPOSE
    ):
        raise ApplicationValidationError({"code": [_("验证码错误或已过期。")]})
    return application_confirmation_record(
        application=app, kinds=kinds, text_versions=text_versions, user=user, ip=ip
    )


def application_confirmation_record(
    *, application: Application, kinds: list[str], text_versions=None, user=None, ip=None
) -> Application:
    """Record the consents and the confirmation once the customer's phone is proven (the
    link's code); the demo seed, standing in for the customer, calls this directly."""
    app = application
    with transaction.atomic():
        actor = user if getattr(user, "is_authenticated", False) else "customer:sms_link"
        application_consents_give(
            actor=actor, application=app, kinds=kinds, text_versions=text_versions,
            via="sms_link", ip=ip,
        )  # fmt: skip
        app = Application.objects.select_for_update().get(pk=app.pk)
        app.customer_confirmed_at = timezone.now()
        fields = ["customer_confirmed_at", "updated_at"]
        if (
            app.customer_id is None
            and getattr(user, "is_authenticated", False)
            and keyed_hash(getattr(user, "phone", "") or "-") == app.customer_key
        ):
            app.customer = user
            fields.append("customer")
        app.save(update_fields=fields)
        event_record(application=app, kind="customer_confirmed", actor=actor)
        return app
