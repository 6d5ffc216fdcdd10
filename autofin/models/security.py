"""The security log (网络安全法 第21条): sign-ins, refusals, money actions and key changes.

Append-only: the database refuses to change a row, and to delete one younger than the legal
minimum of 180 days (migration autofin 0003); autofin.security_log prunes older rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class SecurityEventKind(models.TextChoices):
    LOGIN_SUCCESS = "login_success", _("登录成功")
    LOGIN_FAILURE = "login_failure", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    REAUTH_SUCCESS = "reauth_success", _("重新验证成功")
    REAUTH_FAILURE = "reauth_failure", _("重新验证失败")
    PERMISSION_DENIED = "permission_denied", _("拒绝访问")
    MONEY_ACTION = "money_action", _("资金操作")
    KEY_CHANGE = "key_change", _("密钥或口令变更")


class SecurityEvent(models.Model):
    # The database's clock, not the writer's.
    created_at = models.DateTimeField(_("时间"), db_default=Now(), db_index=True)
    kind = models.CharField(_("类别"), max_length=32, choices=SecurityEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The account named even when the user row is gone, or when a failed sign-in named no
    # existing account (then only "unknown": a typed name is sometimes a mistyped password).
    actor_label = models.CharField(_("账号"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    method = models.CharField(_("请求方法"), max_length=10, blank=True)
    path = models.CharField(_("请求路径"), max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.actor_label}"
