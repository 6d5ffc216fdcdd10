"""Application documents: content-checked private uploads (autofin.uploads) with a preview
thumbnail (≤ 800 px, JPEG) for images; the required set depends on the vehicle."""

from __future__ import annotations

import logging
import uuid
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from autofin.audit import audit_record
from autofin.uploads import UploadError, upload_delete, upload_path, upload_store
from origination.models import ProductPurpose, VehicleKind
from origination.models.applications import Application, ApplicationStatus
from origination.models.documents import ApplicationDocument, DocumentKind
from origination.services.document_ocr import document_read_after_commit
from origination.services.state import event_record
from origination.services.underwriting.documents import underwriting_documents_received

log = logging.getLogger(__name__)

DOCUMENT_MAX_BYTES = 8 * 1024 * 1024
THUMBNAIL_MAX_PX = 800
# Each group is satisfied by any one of its kinds.
BASE_REQUIRED: tuple[tuple[str, ...], ...] = (
    (DocumentKind.ID_FRONT,),
    (DocumentKind.ID_BACK,),
    (DocumentKind.DRIVING_LICENCE,),
    (DocumentKind.INCOME_PROOF,),
    (DocumentKind.PURCHASE_CONTRACT, DocumentKind.INVOICE),
)
USED_REQUIRED = ((DocumentKind.VEHICLE_LICENCE,),)


def documents_required(application: Application) -> tuple[tuple[str, ...], ...]:
    version = application.product_version
    if version is not None and version.product.purpose != ProductPurpose.VEHICLE:
        # an existing customer's maintenance or insurance credit: their identity and income
        # were verified on the application of the car it serves; the bill is checked before
        # funding (the checklist's invoice item)
        return ()
    if application.vehicle_kind == VehicleKind.USED:
        return BASE_REQUIRED + USED_REQUIRED
    return BASE_REQUIRED


def documents_missing(application: Application, *, have: set[str] | None = None) -> list[str]:
    """Labels of the required document groups not uploaded yet (``have``: the kinds uploaded,
    if the caller has read them already)."""
    if have is None:
        have = set(application.documents.values_list("doc_kind", flat=True))
    labels = dict(DocumentKind.choices)
    return [
        " / ".join(str(labels[k]) for k in group)
        for group in documents_required(application)
        if not have.intersection(group)
    ]


def _thumbnail(relative_path: str) -> str:
    """A JPEG preview no larger than 800 × 800 beside the original; '' if it cannot be made."""
    source = upload_path(relative_path)
    parent = PurePosixPath(relative_path).parent
    relative = f"{parent}/{uuid.uuid4().hex}_thumb.jpg"
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(upload_path(relative), "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("no thumbnail for %s: %s", relative_path, exc)
        return ""
    return relative


def application_document_add(
    *, actor: Any, application: Application, doc_kind: str, file, original_name: str = ""
) -> ApplicationDocument:
    """Store one document for a draft (or an application waiting for documents). Raises
    ``UploadError`` (a ValidationError) for a file too big or not a PDF/JPEG/PNG/WebP by
    content, whatever its name says."""
    if doc_kind not in DocumentKind.values:
        raise UploadError(_("请选择资料类型。"), code="bad_kind")
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.DOCUMENTS_REQUESTED):
        raise UploadError(_("申请已提交，不能再上传资料。"), code="not_editable")
    stored = upload_store(
        file=file, subdir=f"applications/{application.pk}", max_bytes=DOCUMENT_MAX_BYTES
    )
    thumb = _thumbnail(stored.relative_path) if stored.content_type.startswith("image/") else ""
    try:
        with transaction.atomic():
            app = Application.objects.select_for_update().get(pk=application.pk)
            if app.status not in (
                ApplicationStatus.DRAFT,
                ApplicationStatus.DOCUMENTS_REQUESTED,
            ):
                raise UploadError(_("申请已提交，不能再上传资料。"), code="not_editable")
            document = ApplicationDocument.objects.create(
                application=app,
                doc_kind=doc_kind,
                original_name=(original_name or getattr(file, "name", "") or "upload")[-200:],
                path=stored.relative_path,
                thumbnail_path=thumb,
                sha256=stored.sha256,
                content_type=stored.content_type,
                size=stored.size,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                obj=document,
                action="application_document_add",
                data={"kind": doc_kind, "sha256": stored.sha256, "application": app.reference},
            )
            event_record(application=app, kind="document", actor=actor, reason=doc_kind)
            document_read_after_commit(document)
            # A case waiting for documents goes back to the underwriters' queue once every
            # requested kind is in (the check is theirs). A draft has no such case: the hook
            # would only lock the row again to find that out, in a transaction of its own.
            if app.status == ApplicationStatus.DOCUMENTS_REQUESTED:
                transaction.on_commit(
                    lambda: underwriting_documents_received(application_id=app.pk, actor=actor)
                )
            return document
    except BaseException:
        upload_delete(stored.relative_path)
        if thumb:
            upload_delete(thumb)
        raise
