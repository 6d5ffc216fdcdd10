"""The underwriting workbench: the case of a referred application (who has claimed it), the
conditions of an approval, counter-offers and the underwriters' authority limits.

The queue itself is the applications in status ``referred``; the case row (created on first
claim or action) holds the assignment and the request for more documents.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "AuthorityLimit",
    "Condition",
    "ConditionKind",
    "ConditionStatus",
    "CounterOffer",
    "CounterOfferStatus",
    "UnderwritingCase",
]


class UnderwritingCase(models.Model):
    application = models.OneToOneField(
        "origination.Application",
        verbose_name=_("申请"),
        on_delete=models.CASCADE,
        related_name="underwriting_case",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="underwriting_cases",
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    # the last request for more documents: which kinds, why, when
    requested_doc_kinds = models.JSONField(_("补充资料类型"), default=list, blank=True)
    request_note = models.TextField(_("补充资料说明"), blank=True)
    documents_requested_at = models.DateTimeField(_("要求补充资料时间"), null=True, blank=True)
    documents_received_at = models.DateTimeField(_("资料补齐时间"), null=True, blank=True)
    # sent up to the senior underwriters (转高级): from then on only they may take or decide it
    escalated_at = models.DateTimeField(_("转高级时间"), null=True, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("转高级人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalation_note = models.TextField(_("转高级说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("审批案件")
        verbose_name_plural = _("审批案件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(assigned_to__isnull=True, claimed_at__isnull=True)
                | Q(assigned_to__isnull=False, claimed_at__isnull=False),
                name="uw_case_claim_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{_('审批案件')} {self.application_id}"


class AuthorityLimit(models.Model):
    """The largest amount financed a role may approve; no row for a role: the default in
    the business policy `origination.underwriter_authority_limit`; an empty amount: no limit."""

    role = models.CharField(_("角色"), max_length=30, unique=True)
    max_amount = models.DecimalField(
        _("审批权限上限（融资额）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("审批权限")
        verbose_name_plural = _("审批权限")
        ordering = ["role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=0),
                name="authority_limit_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.max_amount if self.max_amount is not None else '∞'}"


class ConditionKind(models.TextChoices):
    DOWN_PAYMENT = "down_payment", _("提高首付")
    GPS = "gps", _("安装 GPS")
    CO_APPLICANT = "co_applicant", _("增加共借人")
    DOCUMENTS = "documents", _("补充资料")


class ConditionStatus(models.TextChoices):
    OPEN = "open", _("未满足")
    SATISFIED = "satisfied", _("已满足")
    WAIVED = "waived", _("已豁免")


class Condition(models.Model):
    """A stipulation of an approval; funding waits until every one is satisfied or waived."""

    application = models.ForeignKey(
        "origination.Application",
        verbose_name=_("申请"),
        on_delete=models.CASCADE,
        related_name="approval_conditions",
    )
    condition_kind = models.CharField(_("条件"), max_length=20, choices=ConditionKind.choices)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ConditionStatus.choices, default=ConditionStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    evidence = models.CharField(_("依据"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("批准条件")
        verbose_name_plural = _("批准条件")
        ordering = ["application_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(condition_kind__in=ConditionKind.values),
                name="condition_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConditionStatus.values), name="condition_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(condition_kind="down_payment") | Q(amount__gt=0),
                name="condition_down_payment_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(resolved_at__isnull=False),
                name="condition_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_kind_display()} ({self.get_status_display()})"


class CounterOfferStatus(models.TextChoices):
    OPEN = "open", _("待客户确认")
    ACCEPTED = "accepted", _("客户已接受")
    REJECTED = "rejected", _("客户已拒绝")


class CounterOffer(models.Model):
    """An underwriter's changed deal, priced by the quote service (the linked Quote)."""

    application = models.ForeignKey(
        "origination.Application",
        verbose_name=_("申请"),
        on_delete=models.CASCADE,
        related_name="counter_offers",
    )
    quote = models.ForeignKey(
        "origination.Quote", verbose_name=_("报价"), on_delete=models.PROTECT, related_name="+"
    )
    down_payment = models.DecimalField(_("首付"), max_digits=18, decimal_places=2)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    amount_financed = models.DecimalField(_("融资额"), max_digits=18, decimal_places=2)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=CounterOfferStatus.choices,
        default=CounterOfferStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调整方案")
        verbose_name_plural = _("调整方案")
        ordering = ["application_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="open"),
                name="counter_offer_one_open",
            ),
            models.CheckConstraint(
                condition=Q(amount_financed__gt=0) & Q(down_payment__gte=0),
                name="counter_offer_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.amount_financed} / {self.term_months}m"
