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


__all__ = ["BankStatus"]
