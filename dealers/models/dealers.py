"""Dealers (the B side) and their licence files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DealerType(models.TextChoices):
    FOUR_S = "four_s", _("4S店")
    SECONDARY = "secondary", _("二网")
    USED = "used", _("二手车商")
    BRAND_STORE = "brand_store", _("品牌直营店")
    LEASE_COMPANY = "lease_company", _("融资租赁公司")


class DealerStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    UNDER_REVIEW = "under_review", _("审核中")
    ACTIVE = "active", _("合作中")
    SUSPENDED = "suspended", _("已暂停")
    TERMINATED = "terminated", _("已终止")


class ProductLine(models.TextChoices):
    NEW = "new", _("新车")
    USED = "used", _("二手车")
    NEV = "nev", _("新能源车")
    COMMERCIAL = "commercial", _("商用车")


class Dealer(models.Model):
    legal_name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    dealer_type = models.CharField(_("经销商类型"), max_length=20, choices=DealerType.choices)
    brands = models.CharField(_("经营品牌"), max_length=300, blank=True, help_text=_("用逗号分隔"))
    province = models.CharField(_("省份"), max_length=30)
    city = models.CharField(_("城市"), max_length=30)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DealerStatus.choices, default=DealerStatus.APPLIED
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("渠道客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_dealers",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("经销商")
        verbose_name_plural = _("经销商")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DealerStatus.values), name="dealer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(dealer_type__in=DealerType.values), name="dealer_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class DealerLicence(models.Model):
    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("营业执照")
        AUTHORISATION = "authorisation", _("品牌授权书")
        OTHER = "other", _("其他资质")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="licences"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    original_name = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资质文件")
        verbose_name_plural = _("资质文件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.original_name}"
