"""The one user model for customers, dealer staff and back-office staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The one user model for customers, dealer staff and back-office staff.

    What a user may do comes from their role groups (autofin.roles), and for dealer staff also
    from the dealer they are bound to (dealers.DealerStaff).
    """

    phone = models.CharField(_("手机号"), max_length=20, blank=True, db_index=True)
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username
