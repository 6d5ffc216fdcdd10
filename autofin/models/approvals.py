"""Four-eyes requests: a maker asks, a second authorised person approves or rejects."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ApprovalRequest(models.Model):
    """A maker's request for an action that needs four eyes (autofin.approvals), waiting for a
    second, different, authorised person. Nothing the action would change has changed until the
    request is approved; approval executes it in the approver's transaction.

    `payload` is what is to be done, exactly as the maker asked (the approver sees and approves
    that, not whatever the target looks like later).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        CANCELLED = "cancelled", _("已撤回")

    action = models.CharField(_("操作"), max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    target = GenericForeignKey("content_type", "object_id")
    target_repr = models.CharField(_("对象"), max_length=200)
    payload = models.JSONField(_("申请内容"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    maker_reason = models.TextField(_("申请说明"), blank=True)
    made_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    check_reason = models.TextField(_("复核意见"), blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("双人复核申请")
        verbose_name_plural = _("双人复核申请")
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["status", "made_at"])]
        constraints = [
            # The whole point: nobody checks their own request.
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=F("maker")),
                name="approval_request_checker_not_maker",
            ),
            # A decided request names its checker and time; a pending or withdrawn one has no
            # checker (a maker withdrawing is not a check).
            models.CheckConstraint(
                condition=(
                    Q(status="pending", checker__isnull=True, decided_at__isnull=True)
                    | Q(
                        status__in=["approved", "rejected"],
                        checker__isnull=False,
                        decided_at__isnull=False,
                    )
                    | Q(status="cancelled", checker__isnull=True, decided_at__isnull=False)
                ),
                name="approval_request_status_fields",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(check_reason=""),
                name="approval_request_reject_has_reason",
            ),
            # One open request per action and object: a second would approve a stale picture.
            models.UniqueConstraint(
                fields=["action", "content_type", "object_id"],
                condition=Q(status="pending"),
                name="approval_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.target_repr} ({self.get_status_display()})"
