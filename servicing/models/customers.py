"""The customer's life with the lender after (and between) loans: marketing consent, complaints,
pre-approved offers, segments and campaigns.

A customer is the `User` who holds applications and loans (`Loan.customer`); these rows hang off
that user. Other apps' rows are kept as plain ids (docs/decisions/0008): an offer's product and
the application it became, a campaign contact's application.

Who builds on what:
- complaints (`Complaint`, `ComplaintEvent`) — servicing/services/complaints/;
- marketing consent (`MarketingConsent`; segments, campaigns and their response history are in
  servicing/models/marketing.py) — servicing/services/marketing/;
- pre-approved offers (`Offer`) — servicing/services/offers/, decided by risk, accepted into an
  origination application.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}


# --- marketing consent -----------------------------------------------------------------------


class MarketingConsent(models.Model):
    """A customer's separate consent to marketing messages (PIPL art. 13–14, 24): given with the
    text version shown, withdrawn in one tap; no active row → no campaign message."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="marketing_consents",
    )
    text_version = models.PositiveSmallIntegerField(_("授权文本版本"), default=1)
    given_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    given_via = models.CharField(_("授权方式"), max_length=20)  # portal / phone / apply
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_via = models.CharField(_("撤回方式"), max_length=20, blank=True)  # link / portal

    class Meta:
        verbose_name = _("营销授权")
        verbose_name_plural = _("营销授权")
        ordering = ["customer_id", "-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(withdrawn_at__isnull=True),
                name="marketing_consent_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.given_at:%Y-%m-%d}"


# --- complaints ------------------------------------------------------------------------------


class ComplaintCategory(models.TextChoices):
    # the regulator's categories for consumer complaints (银行保险机构消费投诉分类)
    PRICING = "pricing", _("定价收费")
    COLLECTION = "collection", _("催收")
    INFO_SECURITY = "info_security", _("信息安全")
    CONTRACT_TERMS = "contract_terms", _("合同条款")
    SERVICE = "service", _("服务态度")
    MARKETING = "marketing", _("营销宣传")
    DISBURSEMENT = "disbursement", _("放款及还款")
    CREDIT_REPORT = "credit_report", _("征信问题")
    OTHER = "other", _("其他")


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("客户自助")
    PHONE = "phone", _("电话")
    DEALER = "dealer", _("经销商转交")


class ComplaintPriority(models.TextChoices):
    NORMAL = "normal", _("一般")
    HIGH = "high", _("紧急")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("待受理")
    ACKNOWLEDGED = "acknowledged", _("处理中")
    RESOLVED = "resolved", _("待客户确认")
    CLOSED = "closed", _("已办结")


class Complaint(models.Model):
    """One complaint, from receipt to the customer's confirmation of the resolution."""

    reference = models.CharField(_("投诉编号"), max_length=30, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    loan = models.ForeignKey(
        "servicing.Loan",
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    dealer_id = models.BigIntegerField(_("转交经销商"), null=True, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=ComplaintChannel.choices)
    category = models.CharField(_("投诉类别"), max_length=20, choices=ComplaintCategory.choices)
    priority = models.CharField(
        _("优先级"),
        max_length=10,
        choices=ComplaintPriority.choices,
        default=ComplaintPriority.NORMAL,
    )
    summary = models.CharField(_("投诉摘要"), max_length=200)
    detail = models.TextField(_("投诉内容"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    received_at = models.DateTimeField(_("收到时间"))
    acknowledge_due_at = models.DateTimeField(_("受理时限"))
    resolve_due_at = models.DateTimeField(_("办结时限"))
    # the resolution deadline's extensions (15 → 30 days for a complex case; → 60 with a senior's
    # approval and notice to the customer): why, and who approved the last one
    extension_reason = models.CharField(_("延期原因"), max_length=200, blank=True)
    extension_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("延期批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    escalation_level = models.PositiveSmallIntegerField(_("升级层级"), default=0)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    customer_confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # a complaint about collections stops collection contact on its loan until a reviewer clears it
    pauses_collections = models.BooleanField(_("暂停催收联系"), default=False)
    collections_reviewed_at = models.DateTimeField(_("催收复核时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolve_due_at"]),
            models.Index(
                fields=["loan"],
                condition=Q(pauses_collections=True, collections_reviewed_at__isnull=True),
                name="complaint_collections_pause",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ComplaintStatus.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=ComplaintCategory.values),
                name="complaint_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(resolve_due_at__gte=F("acknowledge_due_at")),
                name="complaint_deadlines_ordered",
            ),
            # closed only once the resolution is written
            models.CheckConstraint(
                condition=~Q(status=ComplaintStatus.CLOSED) | ~Q(resolution=""),
                name="complaint_closed_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintEventKind(models.TextChoices):
    """The trail's event kinds, labelled once for the complaint page and the customer timeline
    (the workflow writes most; the nightly batch writes escalated and auto_closed)."""

    RECEIVED = "received", _("收到投诉")
    COLLECTIONS_PAUSED = "collections_paused", _("暂停催收联系")
    ASSIGNED = "assigned", _("分配经办人")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    EXTENDED = "extended", _("办结时限延期")
    RESOLVED = "resolved", _("提交处理结果")
    CONFIRMED = "confirmed", _("客户确认办结")
    REOPENED = "reopened", _("客户不满意，重新处理")
    COLLECTIONS_REVIEWED = "collections_reviewed", _("催收暂停已复核")
    ESCALATED = "escalated", _("超时升级")
    AUTO_CLOSED = "auto_closed", _("客户未确认，自动办结")


class ComplaintEvent(models.Model):
    """The complaint's trail: received, acknowledged, assigned, extended, escalated, resolved,
    confirmed or reopened by the customer, collections review."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("事件"), max_length=20, choices=ComplaintEventKind.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["complaint_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


# --- pre-approved offers ---------------------------------------------------------------------


class OfferKind(models.TextChoices):
    # inside the licensed purposes only: vehicles and their add-ons, never a cash-out top-up
    NEXT_CAR = "next_car", _("下一辆车预审批额度")
    UPGRADE = "upgrade", _("置换升级")
    MAINTENANCE = "maintenance", _("保养分期")
    INSURANCE_RENEWAL = "insurance_renewal", _("续保")


class OfferStatus(models.TextChoices):
    ACTIVE = "active", _("可使用")
    ACCEPTED = "accepted", _("已申请")
    DECLINED = "declined", _("客户放弃")
    EXPIRED = "expired", _("已过期")
    WITHDRAWN = "withdrawn", _("已撤回")


class Offer(models.Model):
    """A pre-approved offer to one customer, decided by the risk engine on their own history: its
    limit, rate and expiry. Accepting it creates an origination application (`application_id`)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    kind = models.CharField(_("邀约类型"), max_length=20, choices=OfferKind.choices)
    product_id = models.BigIntegerField(_("产品"), null=True, blank=True)
    # the loan whose history earned the offer (or whose car the renewal covers)
    loan = models.ForeignKey(
        "servicing.Loan",
        verbose_name=_("依据合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offers",
    )
    limit_amount = models.DecimalField(_("预审批额度"), **MONEY)
    annual_rate = models.DecimalField(_("年利率"), max_digits=7, decimal_places=6)
    max_term_months = models.PositiveSmallIntegerField(_("最长期限（月）"))
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.ACTIVE
    )
    # the risk engine's decision: rule version, reasons, figures it used (replayable)
    decision = models.JSONField(_("预审批依据"), default=dict, blank=True)
    campaign = models.ForeignKey(
        "servicing.Campaign",
        verbose_name=_("营销活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offers",
    )
    application_id = models.BigIntegerField(_("申请"), null=True, blank=True, unique=True)
    accepted_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预审批邀约")
        verbose_name_plural = _("预审批邀约")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_amount__gt=0, annual_rate__gte=0, max_term_months__gt=0),
                name="offer_terms_positive",
            ),
            models.CheckConstraint(condition=Q(kind__in=OfferKind.values), name="offer_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_valid"
            ),
            # one live offer of a kind per customer: a new decision replaces, never stacks
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(status="active"),
                name="offer_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.limit_amount}"
