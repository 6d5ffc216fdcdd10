"""Dealer staff (users bound to a dealer with a role) and their invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.models.dealers import Dealer


class StaffRole(models.TextChoices):
    DEALER_ADMIN = "dealer_admin", _("经销商管理员")
    DEALER_SALES = "dealer_sales", _("经销商销售")


class DealerStaff(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="dealer_staff",
    )
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    active = models.BooleanField(_("在职"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经销商员工")
        verbose_name_plural = _("经销商员工")
        ordering = ["dealer_id", "role", "id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.dealer_id}"


class StaffInvitation(models.Model):
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    display_name = models.CharField(_("姓名"), max_length=100)
    email = models.EmailField(_("邮箱"), blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Only a hash of the token is stored: the link in the message is the one copy of it.
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("有效期至"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("员工邀请")
        verbose_name_plural = _("员工邀请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="invitation_has_email_or_phone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} → {self.dealer_id}"
