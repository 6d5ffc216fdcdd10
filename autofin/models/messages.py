"""Outbound messages (SMS, e-mail): stored first, delivered by a task."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """Every SMS and e-mail the system sends, whatever the gateway; the sandbox gateways stop here."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("邮件")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("收件人"), max_length=254, db_index=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Reminders must not wake customers: the sender waits until this time (Beijing quiet hours).
    not_before = models.DateTimeField(_("最早发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    gateway = models.CharField(_("网关"), max_length=100, blank=True)
    provider_ref = models.CharField(_("网关流水号"), max_length=100, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Lets a caller make a message once per business event (e.g. "reminder:loan:42:2026-12-01").
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("通知消息")
        verbose_name_plural = _("通知消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.subject or self.body[:30]}"
