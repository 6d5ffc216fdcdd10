"""Accounting periods (会计期间): one row per calendar month once someone starts closing it.

A month without a row is open. Closing is maker-checked: the submission marks the period
"closing" (postings still land in it), the approval closes it. A closed period is final: the
database refuses any journal entry dated in it, however it is written (trigger
`journal_entry_period_open`, migration 0018), and refuses to change a closed period's row, so it
cannot be reopened. A correction to a closed month is posted in the next open period and names
the closed one (`servicing.services.periods.adjustment`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("未结账")
    CLOSING = "closing", _("结账待复核")
    CLOSED = "closed", _("已结账")


class AccountingPeriod(models.Model):
    # the first day of the month
    month = models.DateField(_("会计期间"), unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    close_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结账提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结账人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("结账时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会计期间")
        verbose_name_plural = _("会计期间")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "closing", "closed"]),
                name="accounting_period_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="accounting_period_first_day",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="accounting_period_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"


__all__ = ["AccountingPeriod", "PeriodStatus"]
