"""Sign-up SMS codes: stored hashed, short-lived, with a limited number of attempts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SmsCode"]


class SmsCode(models.Model):
    """A one-time sign-up code: only its keyed hash is stored; 5 minutes; a few attempts."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=20, default="signup")
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"
