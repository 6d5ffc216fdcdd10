"""Idempotency records: one answer per client key, replayed on a retry."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """One money POST's idempotency key (autofin.idempotency): claimed before the work starts,
    with the fingerprint of the request it was first used for and, once done, the response a
    replay gets back."""

    class Status(models.TextChoices):
        IN_FLIGHT = "in_flight", _("处理中")
        DONE = "done", _("已完成")

    # who used the key ("user:<pk>"): keys are per caller, so one caller cannot replay another's
    owner = models.CharField(max_length=40)
    # autofin.idempotency.KEY_MAX_LENGTH: the column refuses a longer key, never cuts it
    key = models.CharField(max_length=80)
    endpoint = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # the JSON as sent (text, not jsonb: a replay must be the same bytes, key order included)
    response_body = models.TextField(blank=True)
    response_location = models.CharField(max_length=1000, blank=True)
    claimed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key"),
            models.CheckConstraint(
                condition=models.Q(status="in_flight") | models.Q(response_status__isnull=False),
                name="idempotency_done_has_response",
            ),
            models.CheckConstraint(condition=~models.Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key} {self.status}"
