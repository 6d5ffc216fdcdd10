"""What every outgoing bank payment records of its key's fate (servicing.services.outgoing):
commission payouts, deposit refunds and floor-plan advances share these states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BankStatus(models.TextChoices):
    """The current key's fate at the bank (as a disbursement attempt's)."""

    NONE = "", _("未发送")
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("银行已受理")
    SUCCEEDED = "succeeded", _("付款成功")
    FAILED = "failed", _("付款失败")
    UNKNOWN = "unknown", _("结果未知（超时）")


class OutgoingPayment(models.Model):
    """The fields the outgoing-payment engine reads and writes on a released document: its key,
    the business date it was released on (the bank's requested date), and the key's fate."""

    released_at = models.DateTimeField(_("放行时间"), null=True, blank=True)
    business_date = models.DateField(_("营业日"), null=True, blank=True)
    idempotency_key = models.CharField(
        _("幂等键"), max_length=80, unique=True, null=True, blank=True
    )
    bank_status = models.CharField(
        _("银行状态"), max_length=10, choices=BankStatus.choices, blank=True, default=""
    )
    sends = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=255, blank=True)

    class Meta:
        abstract = True


__all__ = ["BankStatus", "OutgoingPayment"]
