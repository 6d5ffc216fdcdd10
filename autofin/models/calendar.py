"""The business date: one row, moved on by the nightly batch."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessCalendar(models.Model):
    """The single row holding the business date that postings carry and the nightly batch closes.

    `closing` is set while the batch closes `current_date`: postings made meanwhile carry the
    next date, so a day's books never change after its batch started.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    current_date = models.DateField(_("营业日"))
    closing = models.BooleanField(_("日结中"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("营业日")
        verbose_name_plural = _("营业日")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="business_calendar_singleton")
        ]

    def __str__(self) -> str:
        return str(self.current_date)
