"""Marketing: segments over customer facts, campaigns and their response history.

`CustomerFact` is computed nightly by servicing/services/customer_facts.py; the segment compiler,
campaigns, funnel and uplift live in servicing/services/marketing/, the next-best-offer model
reads the response history (`CampaignContact`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.customers import OfferKind

MONEY = {"max_digits": 18, "decimal_places": 2}


# --- segments and campaigns ------------------------------------------------------------------


class Segment(models.Model):
    """A group of customers defined by rules over their facts, computed set-based each night.

    `rules` is a list of {"fact": name, "op": one of = != > >= < <= between in, "value": …};
    every rule must hold (AND). The facts and the compiler live in servicing/services/marketing/.
    """

    name = models.CharField(_("客群名称"), max_length=100, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    rules = models.JSONField(_("规则"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("客户数"), default=0)
    # why last night's compute failed (the rules no longer compile); empty once it succeeds
    compute_error = models.CharField(_("计算错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("客群")
        verbose_name_plural = _("客群")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A customer in a segment as of its last computation (replaced wholesale each time)."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("客群"), on_delete=models.CASCADE, related_name="members"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("客群成员")
        verbose_name_plural = _("客群成员")
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class CampaignChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("邮件")
    BANNER = "banner", _("客户自助页横幅")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCHEDULED = "scheduled", _("已排期")
    RUNNING = "running", _("发送中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Campaign(models.Model):
    """Segment × offer × channel, scheduled, with a random hold-out group kept unsent so its
    uplift is measured against the treated group."""

    name = models.CharField(_("活动名称"), max_length=100)
    segment = models.ForeignKey(
        Segment, verbose_name=_("客群"), on_delete=models.PROTECT, related_name="campaigns"
    )
    offer_kind = models.CharField(_("邀约类型"), max_length=20, choices=OfferKind.choices)
    channel = models.CharField(_("渠道"), max_length=10, choices=CampaignChannel.choices)
    message = models.TextField(_("文案"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("对照组比例（%）"), default=10)
    status = models.CharField(
        _("状态"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    launched_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("营销活动")
        verbose_name_plural = _("营销活动")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=50), name="campaign_holdout_at_most_half"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactResult(models.TextChoices):
    SENT = "sent", _("已发送")
    HOLDOUT = "holdout", _("对照组（不发送）")
    NO_CONSENT = "no_consent", _("无营销授权")
    CAPPED = "capped", _("超出频次上限")
    # a member without the channel's address (no e-mail for an e-mail campaign) stays counted
    NO_ADDRESS = "no_address", _("无该渠道联系方式")


class CampaignContact(models.Model):
    """One customer's place in one campaign and what they did next: the response history the
    funnel, the uplift report and the next-best-offer model read."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("营销活动"), on_delete=models.PROTECT, related_name="contacts"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("触达结果"), max_length=12, choices=ContactResult.choices)
    offer = models.ForeignKey(
        "servicing.Offer",
        verbose_name=_("邀约"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    message_id = models.BigIntegerField(_("消息"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("打开时间"), null=True, blank=True)
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    funded_at = models.DateTimeField(_("放款时间"), null=True, blank=True)
    application_id = models.BigIntegerField(_("申请"), null=True, blank=True)
    loan_id = models.BigIntegerField(_("合同"), null=True, blank=True)
    # the lender's income from what the contact led to (interest over the term, commission)
    revenue = models.DecimalField(_("收入"), default=0, **MONEY)
    # the customer's facts row as it stood at launch: the next-best-offer model learns from what
    # was known when the offer was made, not from what the contact later led to
    facts = models.JSONField(_("触达时客户画像"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("营销触达")
        verbose_name_plural = _("营销触达")
        ordering = ["campaign_id", "id"]
        indexes = [models.Index(fields=["customer", "sent_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaign_contact_unique"
            ),
            models.CheckConstraint(
                condition=Q(result__in=ContactResult.values), name="campaign_contact_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(revenue__gte=0), name="campaign_contact_revenue_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} {self.result}"


# --- customer facts --------------------------------------------------------------------------


class CustomerFact(models.Model):
    """One row per customer with a loan: the facts segments, offers and the next-best-offer model
    read, recomputed set-based by the nightly batch (servicing/services/customer_facts.py). A
    fact has this one definition; segment rules and model features name these columns."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="facts",
    )
    computed_on = models.DateField(_("计算营业日"))
    loans_active = models.PositiveSmallIntegerField(_("在贷合同数"), default=0)
    loans_closed = models.PositiveSmallIntegerField(_("已结清合同数"), default=0)
    first_funded_on = models.DateField(_("首次放款日"), null=True, blank=True)
    instalments_paid = models.PositiveIntegerField(_("已还期数"), default=0)
    current_dpd = models.PositiveIntegerField(_("当前逾期天数"), default=0)
    max_dpd_ever = models.PositiveIntegerField(_("历史最高逾期天数"), default=0)
    principal_outstanding = models.DecimalField(_("剩余本金"), default=0, **MONEY)
    # of the active loans, the soonest maturity (months from the business day, rounded down)
    months_to_maturity = models.SmallIntegerField(_("距到期月数"), null=True, blank=True)
    settled_early_on = models.DateField(_("最近提前结清日"), null=True, blank=True)
    paid_off_on = models.DateField(_("最近正常结清日"), null=True, blank=True)
    has_nev = models.BooleanField(_("新能源车主"), default=False)
    vehicle_kind = models.CharField(_("最近车辆类型"), max_length=20, blank=True)
    insurance_ends_on = models.DateField(_("保险到期日"), null=True, blank=True)
    marketing_consent = models.BooleanField(_("营销授权"), default=False)

    class Meta:
        verbose_name = _("客户特征")
        verbose_name_plural = _("客户特征")

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.computed_on}"
