"""Customer sign-up for the direct channel: phone -> SMS one-time code -> a customer user.

Only a keyed hash of each code is stored; a code lasts 5 minutes and allows 5 tries; a phone
gets at most one code a minute and SMS_CODES_PER_PHONE_PER_HOUR an hour, a client (address)
SMS_CODES_PER_ADDRESS_PER_HOUR an hour.

Sign-up answers the same whether or not the phone is registered: a registered phone is sent a
note saying so (instead of a code) and the page says "code sent" either way, so only the
phone's owner learns it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import keyed_hash
from autofin.notifications import notification_send
from autofin.ratelimit import rate_limit_hit
from autofin.roles import Role, user_role_grant, user_roles
from origination.models.signup import SmsCode
from origination.services.applications.errors import ApplicationValidationError
from origination.validators import validate_mobile

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)


def _code_hash(phone: str, code: str) -> str:
    return keyed_hash(f"sms-code:{phone}:{code}")


# Every code text says "验证码是 <code>" (the signing and confirmation texts also name a contract
# or an application number, six digits among them): the demo seed and the tests read the code
# back from the sandbox outbox by that phrase.
CODE_IN_TEXT = re.compile(r"验证码是 (\d{6})")


def sms_code_in(body: str) -> str:
    """The one-time code in an SMS text sent by `sms_code_send`."""
    return CODE_IN_TEXT.search(body).group(1)


def _too_many() -> str:
    return _("短信发送次数过多，请稍后再试。")


def sms_code_send(
    *, phone: str, purpose: str = "signup", client: str = "", text: str = ""
) -> SmsCode:
    """Send a one-time code. `client` names the requester (its address, or a user) for the
    per-client limit; a phone's own limits apply whoever asks. `text`, with ``%(code)s``, says
    what the code is for (signing names the contract and amount); else the plain code text."""
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        raise ApplicationValidationError({"phone": exc.messages}) from None
    if client and rate_limit_hit(
        scope="sms-client",
        key=client,
        limit=settings.SMS_CODES_PER_ADDRESS_PER_HOUR,
        window_seconds=3600,
    ):
        raise ApplicationValidationError({"phone": [_too_many()]})
    now = timezone.now()
    phone_hash = keyed_hash(phone)
    with transaction.atomic():
        sent = list(
            SmsCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, created_at__gt=now - dt.timedelta(hours=1))
            .values_list("purpose", "created_at")
        )
        if any(p == purpose and at > now - RESEND_AFTER for p, at in sent):
            raise ApplicationValidationError({"phone": [_("验证码已发送，请 1 分钟后再试。")]})
        if len(sent) >= settings.SMS_CODES_PER_PHONE_PER_HOUR:
            raise ApplicationValidationError({"phone": [_too_many()]})
        code = f"{secrets.randbelow(10**6):06d}"
        sms = SmsCode.objects.create(
            phone_hash=keyed_hash(phone),
            code_hash=_code_hash(phone, code),
            purpose=purpose,
            expires_at=now + CODE_TTL,
        )
        if purpose == "signup" and get_user_model().objects.filter(username=phone).exists():
            # The code is never sent, so it can never be used: the number's owner is told to
            # sign in instead, and the page answers exactly as for a new number.
            body = _("【AutoFin】该手机号已注册 AutoFin，请直接登录；如忘记密码，可在登录页找回。")
        else:
            body = (text or _("【AutoFin】您的验证码是 %(code)s，5 分钟内有效。请勿告诉他人。")) % {
                "code": code
            }
        notification_send(channel="sms", to=phone, body=body, purpose=f"sms_code_{purpose}")
        return sms


def sms_code_verify(*, phone: str, code: str, purpose: str = "signup") -> bool:
    """True once for the right, unexpired code; every wrong try counts against the limit."""
    phone = validate_mobile(phone)
    now = timezone.now()
    with transaction.atomic():
        sms = (
            SmsCode.objects.select_for_update()
            .filter(phone_hash=keyed_hash(phone), purpose=purpose, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if sms is None or sms.expires_at <= now or sms.attempts >= CODE_MAX_ATTEMPTS:
            return False
        sms.attempts += 1
        if secrets.compare_digest(sms.code_hash, _code_hash(phone, str(code).strip())):
            sms.used_at = now
            sms.save(update_fields=["attempts", "used_at"])
            return True
        sms.save(update_fields=["attempts"])
        return False


def customer_signup(*, phone: str, code: str, display_name: str, password: str):
    """Create a customer user (username = the mobile) once the SMS code checks out."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        raise ApplicationValidationError({"phone": exc.messages}) from None
    if not str(display_name or "").strip():
        errors["display_name"] = [_("请填写姓名。")]
    try:
        validate_password(password, User(username=phone, display_name=display_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ApplicationValidationError(errors)
    # A registered phone was never sent a code, so it fails here like a wrong code does; only
    # someone holding a valid code (the phone's owner) can learn that the number is taken.
    if not sms_code_verify(phone=phone, code=code):
        raise ApplicationValidationError({"code": [_("验证码错误或已过期。")]})
    if User.objects.filter(username=phone).exists():
        raise ApplicationValidationError({"phone": [_("该手机号已注册，请直接登录。")]})
    with transaction.atomic():
        user = User(username=phone, phone=phone, display_name=str(display_name).strip()[:100])
        user.set_password(password)
        user.save()
        user_role_grant(user=user, role=Role.CUSTOMER)
        audit_record(actor=user, obj=user, action="customer_signup", to_state="active")
        return user


def customer_login_by_code(*, phone: str, code: str):
    """The customer whose phone holds this login code; a first code login makes the account.

    Holding the code proves the phone, the same proof sign-up asks for, so a dealer-channel
    customer (whose phone the dealer entered) gets in on the first code. Only customer accounts
    sign in this way: staff keep their passwords, and a wrong or expired code changes nothing.
    """
    User = get_user_model()
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        raise ApplicationValidationError({"phone": exc.messages}) from None
    if not sms_code_verify(phone=phone, code=code, purpose="login"):
        raise ApplicationValidationError({"code": [_("验证码错误或已过期。")]})
    user = User.objects.filter(username=phone).first()
    if user is not None:
        staff = user.is_staff or user.is_superuser or user_roles(user) != {str(Role.CUSTOMER)}
        if staff or not user.is_active:
            raise ApplicationValidationError({"phone": [_("该账户请使用密码登录。")]})
        return user
    with transaction.atomic():
        user = User(username=phone, phone=phone, display_name="")
        user.set_unusable_password()
        user.save()
        user_role_grant(user=user, role=Role.CUSTOMER)
        audit_record(actor=user, obj=user, action="customer_signup", to_state="active")
        return user
