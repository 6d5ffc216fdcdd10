"""Shared platform models: users, the audit trail, the business date, outbound messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
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


class AuditEntry(models.Model):
    """One state change of anything: who, when, from, to, why. Written in the caller's transaction."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept beside the FK so the trail still names the actor if the user row is ever removed,
    # and names system actors (the nightly batch, a Celery worker) that have no user row.
    actor_label = models.CharField(_("操作人名称"), max_length=150)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    action = models.CharField(_("动作"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=64, blank=True)
    to_state = models.CharField(_("新状态"), max_length=64, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.from_state} → {self.to_state}"


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


# The security log's model lives in its own module; importing it here registers it with the app.
from autofin.models_security import SecurityEvent, SecurityEventKind  # noqa: E402,F401
