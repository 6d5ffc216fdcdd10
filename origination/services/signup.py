"""Customer sign-up for the direct channel: phone -> SMS one-time code -> a customer user.

Only a keyed hash of each code is stored; a code lasts 5 minutes and allows 5 tries; a phone
gets at most one code a minute.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import keyed_hash
from autofin.notifications import notification_send
from autofin.roles import Role, user_role_grant
from origination.models import SmsCode
from origination.services.applications import ApplicationValidationError
from origination.validators import validate_mobile

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)


def _code_hash(phone: str, code: str) -> str:
    return keyed_hash(f"sms-code:{phone}:{code}")


def sms_code_send(*, phone: str, purpose: str = "signup") -> SmsCode:
    try:
        phone = validate_mobile(phone)
    except ValidationError as exc:
        raise ApplicationValidationError({"phone": exc.messages}) from None
    now = timezone.now()
    with transaction.atomic():
        recent = (
            SmsCode.objects.select_for_update()
            .filter(
                phone_hash=keyed_hash(phone), purpose=purpose, created_at__gt=now - RESEND_AFTER
            )
            .exists()
        )
        if recent:
            raise ApplicationValidationError({"phone": [_("验证码已发送，请 1 分钟后再试。")]})
        code = f"{secrets.randbelow(10**6):06d}"
        sms = SmsCode.objects.create(
            phone_hash=keyed_hash(phone),
            code_hash=_code_hash(phone, code),
            purpose=purpose,
            expires_at=now + CODE_TTL,
        )
        notification_send(
            channel="sms",
            to=phone,
            body=_("【AutoFin】您的验证码是 %(code)s，5 分钟内有效。请勿告诉他人。")
            % {"code": code},
            purpose=f"sms_code_{purpose}",
        )
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
    if User.objects.filter(username=phone).exists():
        errors["phone"] = [_("该手机号已注册，请直接登录。")]
    if errors:
        raise ApplicationValidationError(errors)
    if not sms_code_verify(phone=phone, code=code):
        raise ApplicationValidationError({"code": [_("验证码错误或已过期。")]})
    with transaction.atomic():
        user = User(username=phone, phone=phone, display_name=str(display_name).strip()[:100])
        user.set_password(password)
        user.save()
        user_role_grant(user=user, role=Role.CUSTOMER)
        audit_record(actor=user, obj=user, action="customer_signup", to_state="active")
        return user
