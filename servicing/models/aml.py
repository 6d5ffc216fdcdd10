"""Anti-money laundering on the money servicing takes in: large-value and suspicious-pattern
alerts on repayments and prepayments, each a compliance case (servicing.services.aml)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.loans import MONEY, Loan

__all__ = ["AmlAlert", "AmlAlertKind", "AmlAlertStatus"]


class AmlAlertKind(models.TextChoices):
    # 大额交易 (reported whatever the judgement; PBoC 令〔2016〕第3号 第5条)
    LARGE_CASH = "large_cash", _("大额现金交易")
    LARGE_TRANSFER = "large_transfer", _("大额境内转账（自然人）")
    LARGE_CROSS_BORDER = "large_cross_border", _("大额跨境转账（自然人）")
    LARGE_ENTITY_TRANSFER = "large_entity_transfer", _("大额转账（非自然人）")
    # 可疑交易 patterns (a judgement: confirmed or dismissed by compliance)
    EARLY_SETTLEMENT = "early_settlement", _("放款后短期内提前结清")
    THIRD_PARTY_PAYER = "third_party_payer", _("第三方账户代还款")
    STRUCTURING = "structuring", _("疑似拆分交易规避大额标准")
    MANY_SMALL = "many_small", _("短期内频繁小额人工入账")


LARGE_VALUE_KINDS = frozenset(
    {
        AmlAlertKind.LARGE_CASH,
        AmlAlertKind.LARGE_TRANSFER,
        AmlAlertKind.LARGE_CROSS_BORDER,
        AmlAlertKind.LARGE_ENTITY_TRANSFER,
    }
)


class AmlAlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    INVESTIGATING = "investigating", _("调查中")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("排除")


class AmlAlert(models.Model):
    """One alert on one loan's money of one business date (the date the rule looked at)."""

    kind = models.CharField(_("预警类型"), max_length=24, choices=AmlAlertKind.choices)
    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="aml_alerts"
    )
    business_date = models.DateField(_("交易日期"), db_index=True)
    amount = models.DecimalField(_("涉及金额"), **MONEY)
    repayment_ids = models.JSONField(_("相关还款"), default=list)
    facts = models.JSONField(_("触发事实"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=AmlAlertStatus.choices,
        default=AmlAlertStatus.OPEN,
        db_index=True,
    )
    # large-value: 5 working days from the transaction; suspicious: from the decision
    report_due = models.DateField(_("报告截止日"), null=True, blank=True)
    decision_text = models.TextField(_("调查结论"), blank=True)
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("结论时间"), null=True, blank=True)
    decided_on = models.DateField(_("结论营业日"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("反洗钱预警")
        verbose_name_plural = _("反洗钱预警")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "loan", "business_date"], name="aml_alert_one_per_kind_loan_day"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "dismissed"])
                | (Q(decided_by__isnull=False) & ~Q(decision_text="")),
                name="aml_alert_decision_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.loan_id} {self.business_date}"
