"""Satisfaction surveys (满意度回访): one invitation per occasion — a complaint closed, a loan
funded, a loan settled — answered once, on a phone page reached by a signed link without login."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SurveyOccasion(models.TextChoices):
    COMPLAINT_CLOSED = "complaint_closed", _("投诉办结")
    FUNDED = "funded", _("贷款发放")
    SETTLED = "settled", _("贷款结清")


class SurveyInvitation(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="survey_invitations",
    )
    occasion = models.CharField(_("回访场景"), max_length=20, choices=SurveyOccasion.choices)
    complaint = models.ForeignKey(
        "servicing.Complaint",
        verbose_name=_("投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    loan = models.ForeignKey(
        "servicing.Loan",
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    # the link's secret; the link itself is this token signed (servicing.services.complaints.surveys)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("满意度评分"), null=True, blank=True)
    comment = models.TextField(_("意见建议"), blank=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("满意度回访")
        verbose_name_plural = _("满意度回访")
        ordering = ["-created_at", "-id"]
        constraints = [
            # once per complaint, once per loan and occasion: a re-run batch invites nobody twice
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(complaint__isnull=False),
                name="survey_one_per_complaint",
            ),
            models.UniqueConstraint(
                fields=["loan", "occasion"],
                condition=Q(loan__isnull=False),
                name="survey_one_per_loan_occasion",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_5",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(score__isnull=False),
                name="survey_answer_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.customer_id}"
