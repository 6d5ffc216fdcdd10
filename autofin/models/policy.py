"""Business policy values in force from a date (append-only; autofin.policy declares the keys)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyValue(models.Model):
    """One value of one business-policy threshold, in force from a date (append-only).

    A change is a new row with a later `effective_from`, never an edit: what was in force on any
    past date can always be answered, and every row names who set it and why. The keys and their
    types are declared once in ``autofin.policy.POLICIES``.
    """

    key = models.CharField(_("策略项"), max_length=80)
    value = models.CharField(_("取值"), max_length=64)
    effective_from = models.DateField(_("生效日"))
    reason = models.TextField(_("原因"))
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("业务策略参数")
        verbose_name_plural = _("业务策略参数")
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_from"], name="policy_value_key_date")
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value} ({self.effective_from})"
