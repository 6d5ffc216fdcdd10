"""The next-best-offer model (servicing/services/nbo/): each training run is one row, the fitted
scikit-learn pipeline stored in it; the newest succeeded run is the one scoring uses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NboStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("训练中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class NboModel(models.Model):
    """One training run of the next-best-offer model and, once it succeeded, its fitted pipeline.

    `pipeline` holds the joblib (pickle) bytes of the fitted scikit-learn Pipeline. Unpickling
    runs code, which is safe here only because nothing but `nbo_train` (our own training, in
    our own process) ever writes this column: no form, admin or API accepts it, and the admin
    does not register the model.
    """

    version = models.PositiveIntegerField(_("版本"), unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=NboStatus.choices, default=NboStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    trained_at = models.DateTimeField(_("训练完成时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("训练样本数"), default=0)
    # auc, top_decile_lift, base rates, the held-out lift table, the split, the feature list
    metrics = models.JSONField(_("指标"), default=dict)
    pipeline = models.BinaryField(_("模型"), null=True, blank=True, editable=False)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("下一最佳邀约模型")
        verbose_name_plural = _("下一最佳邀约模型")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NboStatus.values), name="nbo_model_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(pipeline__isnull=False),
                name="nbo_model_succeeded_has_pipeline",
            ),
        ]

    def __str__(self) -> str:
        return f"NBO v{self.version}"
