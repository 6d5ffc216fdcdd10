"""OCR of an uploaded document, on the documents queue (a second or so per image: the upload
does not wait for it)."""

from __future__ import annotations

from celery import shared_task

from origination.services.document_ocr import document_read


@shared_task(
    name="origination.tasks.document_ocr_read",
    acks_late=True,
    time_limit=60,
    soft_time_limit=45,
)
def document_ocr_read(document_id: int) -> str:
    """Read one document (idempotent: a read document is left as it is)."""
    document = document_read(document_id=document_id)
    return document.ocr_engine if document is not None else ""
