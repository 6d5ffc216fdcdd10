"""An underwriter asks for more documents; the case comes back to the queue once every kind
asked for has been uploaded."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from origination.models.applications import Application, ApplicationStatus
from origination.models.documents import DocumentKind
from origination.models.underwriting import UnderwritingCase
from origination.services.state import application_transition, event_record
from origination.services.underwriting.authority import UnderwritingError, lock_for_decision
from origination.services.underwriting.notices import underwriting_notify

S = ApplicationStatus


def underwriting_request_documents(
    *, application_id: int, actor: Any, doc_kinds: list[str], note: str
) -> Application:
    """Ask the customer (SMS) and the dealer (e-mail) for more documents; the application waits
    in documents_requested and comes back to the queue when they are uploaded
    (``underwriting_documents_received``)."""
    errors = {}
    kinds = [k for k in doc_kinds or [] if k in DocumentKind.values]
    if not kinds:
        errors["doc_kinds"] = [_("请选择需要补充的资料。")]
    if not (note or "").strip():
        errors["note"] = [_("请说明需要补充的内容。")]
    if errors:
        raise UnderwritingError(errors)
    with transaction.atomic():
        app, case = lock_for_decision(application_id, actor)
        case.requested_doc_kinds = kinds
        case.request_note = note.strip()
        case.documents_requested_at = timezone.now()
        case.documents_received_at = None
        case.save()
        app = application_transition(
            application=app,
            to_status=S.DOCUMENTS_REQUESTED,
            actor=actor,
            reason=note.strip(),
            data={"doc_kinds": kinds},
        )
        labels = "、".join(str(DocumentKind(k).label) for k in kinds)
        underwriting_notify(
            app,
            _("【AutoFin】您的申请 %(ref)s 需要补充资料：%(docs)s。%(note)s 请登录 AutoFin 上传。")
            % {"ref": app.reference, "docs": labels, "note": note.strip()},
            purpose="underwriting_documents_requested",
        )
        return app


def underwriting_documents_received(*, application_id: int, actor: Any = "system") -> bool:
    """The hook intake's upload path calls after a document is stored: when every requested
    kind has been uploaded since the request, the application returns to the queue
    (documents_requested -> referred). Returns whether it did; safe to call any time."""
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status != S.DOCUMENTS_REQUESTED:
            return False
        case = UnderwritingCase.objects.filter(application=app).first()
        if case is None or case.documents_requested_at is None:
            return False
        uploaded = set(
            app.documents.filter(uploaded_at__gte=case.documents_requested_at).values_list(
                "doc_kind", flat=True
            )
        )
        if not set(case.requested_doc_kinds or []) <= uploaded:
            return False
        case.documents_received_at = timezone.now()
        case.save(update_fields=["documents_received_at", "updated_at"])
        application_transition(
            application=app,
            to_status=S.REFERRED,
            actor=actor,
            reason="documents received",
            data={"doc_kinds": sorted(uploaded)},
        )
        event_record(application=app, kind="underwriting", actor=actor, reason="back in queue")
        return True
