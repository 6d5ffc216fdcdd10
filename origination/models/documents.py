"""An application's documents: private uploads (ID, licence, income proof, purchase contract or
invoice ...) with a preview thumbnail for images."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from origination.models.applications import Application

__all__ = ["ApplicationDocument", "DocumentKind"]


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", _("身份证人像面")
    ID_BACK = "id_back", _("身份证国徽面")
    DRIVING_LICENCE = "driving_licence", _("驾驶证")
    INCOME_PROOF = "income_proof", _("收入证明")
    PURCHASE_CONTRACT = "purchase_contract", _("购车合同")
    INVOICE = "invoice", _("购车发票")
    VEHICLE_LICENCE = "vehicle_licence", _("行驶证")
    BANK_CARD = "bank_card", _("银行卡")


class ApplicationDocument(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="documents"
    )
    doc_kind = models.CharField(_("资料类型"), max_length=24, choices=DocumentKind.choices)
    original_name = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300)
    thumbnail_path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    # What OCR read (origination.services.document_ocr): fields as the parsers return them,
    # identifiers masked; the identifiers themselves encrypted (JSON) for the comparison and
    # the form's prefill. Empty until read; ``ocr_engine`` names what read it.
    ocr_fields = models.JSONField(_("识别结果"), default=dict, blank=True)
    ocr_secret_enc = models.TextField(blank=True)
    ocr_engine = models.CharField(_("识别引擎"), max_length=60, blank=True)
    ocr_at = models.DateTimeField(_("识别时间"), null=True, blank=True)
    phash = models.CharField(_("图像指纹"), max_length=16, blank=True, db_index=True)
    editing_software = models.CharField(_("编辑软件痕迹"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("申请资料")
        verbose_name_plural = _("申请资料")
        ordering = ["application_id", "doc_kind", "-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phash__regex=r"^([0-9a-f]{16})?$"),
                name="document_phash_hex64",
            ),
            # read means: by a named engine, at a time
            models.CheckConstraint(
                condition=models.Q(ocr_at__isnull=True, ocr_engine="")
                | models.Q(ocr_at__isnull=False) & ~models.Q(ocr_engine=""),
                name="document_ocr_engine_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.get_doc_kind_display()}"
