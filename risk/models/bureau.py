"""The credit-bureau query log: written by risk.services.bureau.bureau_query only."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BureauQuery(models.Model):
    """One query to the credit bureau (征信查询记录), written before the bureau is asked so a
    query that fails or never returns is still on record; read-only for compliance and risk
    (the regulator may ask why each report was pulled, and on whose consent)."""

    class Purpose(models.TextChoices):
        PRE_LOAN = "pre_loan", _("贷前审批")
        POST_LOAN = "post_loan", _("贷后管理")

    class Status(models.TextChoices):
        SENT = "sent", _("查询中")
        ANSWERED = "answered", _("已返回")
        FAILED = "failed", _("查询失败")

    purpose = models.CharField(_("查询原因"), max_length=10, choices=Purpose.choices)
    id_hash = models.CharField(_("被查询人身份证哈希"), max_length=64, db_index=True)
    subject_ref = models.CharField(_("业务编号"), max_length=64, db_index=True)
    consent_ref = models.CharField(_("授权书编号"), max_length=64)
    requested_by = models.CharField(_("查询发起方"), max_length=150)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="sent")
    found = models.BooleanField(_("有征信记录"), null=True, blank=True)
    error = models.CharField(_("失败原因"), max_length=200, blank=True)
    queried_at = models.DateTimeField(_("查询时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("征信查询记录")
        verbose_name_plural = _("征信查询记录")
        ordering = ["-queried_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(consent_ref=""), name="risk_bureauquery_consent")
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref}: {self.get_purpose_display()}"
