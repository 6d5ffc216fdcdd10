"""Dealer staff: invitation by link, acceptance, deactivation (which ends sessions and tokens)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from autofin.audit import audit_record
from autofin.notifications import notification_send
from autofin.roles import Role, user_role_grant
from dealers.models.dealers import Dealer
from dealers.models.staff import DealerStaff, StaffInvitation, StaffRole
from dealers.rules import DealerError, DealerPermissionDenied, manages

INVITATION_VALID_FOR = dt.timedelta(hours=72)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _may_manage_staff(actor, dealer: Dealer, role: str) -> bool:
    """Dealer admins manage their own dealer's sales; back-office managers any staff role."""
    if manages(actor, dealer):
        return True
    staff = getattr(actor, "dealer_staff", None) if getattr(actor, "pk", None) else None
    return (
        staff is not None
        and staff.active
        and staff.dealer_id == dealer.pk
        and staff.role == StaffRole.DEALER_ADMIN
        and role == StaffRole.DEALER_SALES
    )


def staff_invite(
    *,
    actor,
    dealer,
    role: str,
    display_name: str,
    email: str = "",
    phone: str = "",
    base_url: str = "",
) -> tuple[StaffInvitation, str]:
    """Create an invitation and send its link by e-mail (or SMS); returns (invitation, token)."""
    dealer = dealer if isinstance(dealer, Dealer) else Dealer.objects.get(pk=dealer)
    if role not in StaffRole.values:
        raise DealerError(_("角色无效。"), field="role")
    if not _may_manage_staff(actor, dealer, role):
        raise DealerPermissionDenied(_("您没有邀请该角色员工的权限。"))
    if not email and not phone:
        raise DealerError(_("请填写邮箱或手机号。"), field="email")
    if not display_name.strip():
        raise DealerError(_("请填写姓名。"), field="display_name")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = StaffInvitation.objects.create(
            dealer=dealer,
            role=role,
            display_name=display_name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            token_hash=_token_hash(token),
            expires_at=timezone.now() + INVITATION_VALID_FOR,
            invited_by=actor,
        )
        link = base_url.rstrip("/") + reverse("dealers:invite_accept", args=[token])
        body = gettext(
            "%(name)s，您好：%(dealer)s 邀请您加入 AutoFin 经销商门户（%(role)s）。"
            "请在 72 小时内打开链接设置密码：%(link)s"
        ) % {
            "name": invitation.display_name,
            "dealer": dealer.legal_name,
            "role": invitation.get_role_display(),
            "link": link,
        }
        notification_send(
            channel="email" if email else "sms",
            to=email or phone,
            subject=gettext("AutoFin 经销商门户邀请"),
            body=body,
            purpose="dealer_staff_invite",
        )
        audit_record(
            actor=actor,
            obj=invitation,
            action="staff_invite",
            to_state="invited",
            data={"dealer_id": dealer.pk, "role": role},
        )
    return invitation, token


def invitation_for_token(token: str) -> StaffInvitation | None:
    """The open (unused, unexpired) invitation for a token, or None."""
    return (
        StaffInvitation.objects.select_related("dealer")
        .filter(
            token_hash=_token_hash(token or ""),
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def staff_invitation_accept(*, token: str, username: str, password: str) -> DealerStaff:
    User = get_user_model()
    with transaction.atomic():
        invitation = (
            StaffInvitation.objects.select_for_update()
            .filter(token_hash=_token_hash(token or ""))
            .first()
        )
        if invitation is None or invitation.accepted_at is not None:
            raise DealerError(_("邀请链接无效或已使用。"), code="invalid_token")
        if invitation.expires_at <= timezone.now():
            raise DealerError(_("邀请链接已过期，请联系管理员重新邀请。"), code="expired")
        username = (username or "").strip()
        if not username:
            raise DealerError(_("请填写用户名。"), field="username")
        if User.objects.filter(username__iexact=username).exists():
            raise DealerError(_("该用户名已被使用。"), code="username_taken", field="username")
        user = User(
            username=username,
            display_name=invitation.display_name,
            email=invitation.email,
            phone=invitation.phone,
        )
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise DealerError(
                " ".join(exc.messages), code="weak_password", field="password"
            ) from exc
        user.set_password(password)
        user.save()
        user_role_grant(user=user, role=Role(invitation.role))
        staff = DealerStaff.objects.create(
            user=user, dealer_id=invitation.dealer_id, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
        audit_record(
            actor=user,
            obj=staff,
            action="staff_invitation_accept",
            from_state="invited",
            to_state="active",
            data={"invitation_id": invitation.pk},
        )
    return staff


def staff_create(*, actor, dealer, user, role: str) -> DealerStaff:
    """Bind an existing user to a dealer directly (back office, seed)."""
    dealer = dealer if isinstance(dealer, Dealer) else Dealer.objects.get(pk=dealer)
    if actor != "seed" and not manages(actor, dealer):
        raise DealerPermissionDenied(_("您不负责该经销商。"))
    with transaction.atomic():
        user_role_grant(user=user, role=Role(role))
        staff = DealerStaff.objects.create(user=user, dealer=dealer, role=role)
        audit_record(actor=actor, obj=staff, action="staff_create", to_state="active")
    return staff


def user_sessions_end(*, user_id: int) -> int:
    """Delete every stored session that is logged in as this user; returns how many."""
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            doomed.append(session.pk)
    if doomed:
        Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def staff_deactivate(*, actor, staff_id: int, reason: str = "") -> DealerStaff:
    """Deactivate a staff member: the user can no longer sign in, and every session and API
    token they hold ends now."""
    with transaction.atomic():
        staff = (
            DealerStaff.objects.select_for_update()
            .select_related("user", "dealer")
            .get(pk=staff_id)
        )
        if not _may_manage_staff(actor, staff.dealer, staff.role):
            raise DealerPermissionDenied(_("您没有停用该员工的权限。"))
        if getattr(actor, "pk", None) == staff.user_id:
            raise DealerError(_("不能停用自己的账号。"), code="self")
        if not staff.active:
            raise DealerError(_("该员工已停用。"), code="already_inactive")
        staff.active = False
        staff.deactivated_at = timezone.now()
        staff.save(update_fields=["active", "deactivated_at"])
        user = staff.user
        user.is_active = False
        user.save(update_fields=["is_active"])
        tokens = Token.objects.filter(user=user).delete()[0]
        sessions = user_sessions_end(user_id=user.pk)
        audit_record(
            actor=actor,
            obj=staff,
            action="staff_deactivate",
            from_state="active",
            to_state="inactive",
            reason=reason,
            data={"sessions_ended": sessions, "tokens_deleted": tokens},
        )
    return staff
