"""Personal information (PIPL): the consent texts (versioned), the consents an application
holds (given, withdrawn), and the customer's data-subject requests (export, deletion)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.models.applications import Application

__all__ = [
    "Consent",
    "ConsentKind",
    "ConsentText",
    "DataRequest",
    "DataRequestKind",
    "DataRequestStatus",
]


class ConsentKind(models.TextChoices):
    CREDIT_BUREAU = "credit_bureau", _("征信查询授权")
    SENSITIVE_INFO = "sensitive_info", _("敏感个人信息处理同意（金融账户、车辆 GPS 位置）")
    AUTOMATED_DECISION = "automated_decision", _("自动化决策同意")
    # Income verification: one optional consent per data source (PIPL: each use separately);
    # the names match risk.adapters.INCOME_SOURCES.
    INCOME_SOCIAL = "income_social", _("社保及公积金缴存信息查询授权")
    INCOME_TAX = "income_tax", _("个人所得税纳税记录查询授权")
    INCOME_BANK = "income_bank", _("银行流水及代发工资信息查询授权")
    # Telematics: the car's position history (行踪轨迹) is sensitive personal information, its
    # own separate consent (PIPL art. 28–29); without it no position or event is stored.
    LOCATION = "location", _("车辆行踪轨迹（GPS 定位）处理单独同意")


class ConsentText(models.Model):
    """A version of a consent's wording; the customer sees it and the consent points at it."""

    consent_kind = models.CharField(_("授权类型"), max_length=24, choices=ConsentKind.choices)
    version = models.PositiveSmallIntegerField(_("版本"))
    text_zh = models.TextField(_("中文文本"))
    text_en = models.TextField(_("英文文本"))
    required = models.BooleanField(_("提交必需"), default=True)
    effective_at = models.DateTimeField(_("生效时间"))

    class Meta:
        verbose_name = _("授权文本")
        verbose_name_plural = _("授权文本")
        ordering = ["consent_kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["consent_kind", "version"], name="consent_text_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_consent_kind_display()} v{self.version}"


class Consent(models.Model):
    """One explicit consent, given for one application, with the exact text version shown."""

    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="consents"
    )
    consent_kind = models.CharField(_("授权类型"), max_length=24, choices=ConsentKind.choices)
    text = models.ForeignKey(
        ConsentText, verbose_name=_("授权文本"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents",
    )
    subject_key = models.CharField(max_length=64, db_index=True)  # keyed_hash(mobile)
    given_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    given_via = models.CharField(_("授权方式"), max_length=20)  # web / api / sms_link
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        ordering = ["application_id", "consent_kind", "-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "consent_kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.get_consent_kind_display()}"


class DataRequestKind(models.TextChoices):
    EXPORT = "export", _("个人信息副本")
    DELETION = "deletion", _("删除个人信息")


class DataRequestStatus(models.TextChoices):
    COMPLETED = "completed", _("已完成")
    PARTIAL = "partial", _("部分完成")
    REFUSED = "refused", _("已拒绝")


class DataRequest(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="data_requests",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=DataRequestKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=DataRequestStatus.choices)
    result = models.JSONField(_("处理结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("个人信息请求")
        verbose_name_plural = _("个人信息请求")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.get_kind_display()}"
