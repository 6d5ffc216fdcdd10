"""Documents that read themselves: an uploaded image is read by OCR (in a Celery task after the
upload commits), its fields compared with the application, and what does not agree handed to
risk as facts (``documents_read_facts``) and shown to the underwriter (``document_checks``).

The comparison is the one rule for both: a field is a mismatch when the document shows a value
and the application (or another document) a different one; a field OCR could not read is
"unread", never a mismatch. Identifiers (ID and card numbers) are kept encrypted; the page and
the stored fields show them masked."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image
from rapidfuzz import fuzz

from autofin.business_date import business_date_current
from autofin.crypto import decrypt, encrypt, mask
from autofin.scheduling import after_commit
from autofin.uploads import upload_path
from origination.models.applications import Applicant, ApplicantRole, Application
from origination.models.documents import ApplicationDocument, DocumentKind
from origination.ocr import engine, forensics, parsers

log = logging.getLogger(__name__)

OCR_TASK = "origination.tasks.document_ocr_read"
SECRET_FIELDS = ("id_number", "buyer_id_number", "card_number")
ADDRESS_MIN_SIMILARITY = 90  # rapidfuzz ratio: OCR may drop or misread a character or two
FIELD_LABELS = {
    "name": _("姓名"),
    "id_number": _("身份证号"),
    "birth_date": _("出生日期"),
    "address": _("住址"),
    "valid_to": _("有效期至"),
    "vin": _("车架号"),
    "engine_number": _("发动机号"),
    "buyer": _("购买方"),
    "buyer_id_number": _("购买方证件号"),
    "price": _("价税合计"),
    "seller": _("销货单位"),
    "card_number": _("卡号"),
}


def document_read(*, document_id: int) -> ApplicationDocument | None:
    """Read one uploaded image: EXIF editing traces, perceptual hash, OCR fields for the kinds
    with a parser. Writes the document's OCR columns once (a re-run of a read document does
    nothing); PDFs and unreadable files are left unread."""
    document = ApplicationDocument.objects.filter(pk=document_id, ocr_at__isnull=True).first()
    if document is None or not document.content_type.startswith("image/"):
        return document
    try:
        with Image.open(upload_path(document.path)) as image:
            image.load()
            software = forensics.editing_software(image)
            phash = forensics.perceptual_hash(image)
            parser = parsers.PARSERS.get(document.doc_kind)
            # a blank image (no contrast: no hash either) has nothing to read
            fields = parser(engine.ocr_read(image)) if parser and phash else {}
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("document %s not read: %s", document_id, exc)
        return document
    secrets = {k: fields[k] for k in SECRET_FIELDS if k in fields}
    shown = {k: (mask(v, keep_start=4) if k in secrets else v) for k, v in fields.items()}
    ApplicationDocument.objects.filter(pk=document_id, ocr_at__isnull=True).update(
        ocr_fields=shown,
        ocr_secret_enc=encrypt(json.dumps(secrets)) if secrets else "",
        ocr_engine=engine.engine_version(),
        ocr_at=timezone.now(),
        phash=phash,
        editing_software=software,
    )
    document.refresh_from_db()
    return document


def _fields(document: ApplicationDocument) -> dict:
    """The document's fields with its identifiers in clear (for comparison and prefill)."""
    fields = dict(document.ocr_fields)
    if document.ocr_secret_enc:
        fields.update(json.loads(decrypt(document.ocr_secret_enc)))
    return fields


def read_documents(application: Application) -> dict[str, ApplicationDocument]:
    """The latest read document of each kind."""
    latest: dict[str, ApplicationDocument] = {}
    for d in application.documents.filter(ocr_at__isnull=False).order_by("-uploaded_at", "-id"):
        latest.setdefault(d.doc_kind, d)
    return latest


@dataclass(frozen=True)
class Check:
    doc_kind: str
    field: str
    read: str  # as shown (identifiers masked)
    expected: str
    status: str  # match / mismatch / unread

    @property
    def code(self) -> str:
        return f"{self.doc_kind}.{self.field}"


def _same(field: str, read: str, expected: str) -> bool:
    a, b = (str(v).replace(" ", "").upper() for v in (read, expected))
    if field == "address":
        return fuzz.ratio(a, b) >= ADDRESS_MIN_SIMILARITY
    if field == "price":
        try:
            return Decimal(a) == Decimal(b)
        except InvalidOperation:
            return False
    if field in ("seller",):
        return a.replace("（", "(").replace("）", ")") == b.replace("（", "(").replace("）", ")")
    return a == b


def _expected(application: Application, primary: Applicant | None, read: dict) -> dict:
    """What each (kind, field) should read, from the application and the other documents."""
    person: dict = {}
    if primary is not None:
        person = {
            "name": primary.name,
            "id_number": decrypt(primary.id_number_enc),
            "birth_date": primary.birth_date.isoformat() if primary.birth_date else "",
            "address": primary.address,
        }
    car = {"vin": application.vin, "price": f"{application.vehicle_price:.2f}"}
    seller = application.dealer.legal_name if application.dealer_id else ""
    account = decrypt(primary.bank_account_enc) if primary and primary.bank_account_enc else ""
    engine_on_licence = read.get("vehicle_licence", {}).get("engine_number", "")
    return {
        "id_front": {k: person.get(k, "") for k in ("name", "id_number", "birth_date", "address")},
        "driving_licence": {k: person.get(k, "") for k in ("name", "id_number")},
        "vehicle_licence": {"vin": car["vin"]},
        "invoice": {
            "buyer": person.get("name", ""),
            "buyer_id_number": person.get("id_number", ""),
            "vin": car["vin"],
            "price": car["price"],
            "seller": seller,
            "engine_number": engine_on_licence,
        },
        "bank_card": {"card_number": "".join(ch for ch in account if ch.isdigit())},
    }


def _shown(field: str, value: str) -> str:
    return mask(value, keep_start=4) if field in SECRET_FIELDS and value else value


def document_checks(
    application: Application,
    *,
    docs: dict[str, ApplicationDocument] | None = None,
    primary: Applicant | None = None,
) -> list[Check]:
    """Each compared field of the read documents: what the document shows, what the
    application says, and whether they agree. ``docs`` (read_documents) and the ``primary``
    applicant when the caller has them: not asked again."""
    docs = read_documents(application) if docs is None else docs
    read = {kind: _fields(d) for kind, d in docs.items()}
    if primary is None:
        primary = application.applicants.filter(role=ApplicantRole.PRIMARY).first()
    checks = []
    for kind, wanted in _expected(application, primary, read).items():
        if not read.get(kind):  # not read, or nothing on it could be read: listed apart
            continue
        for field, expected in wanted.items():
            if not expected:
                continue
            value = read[kind].get(field, "")
            if not value:
                status = "unread"
            else:
                status = "match" if _same(field, value, expected) else "mismatch"
            checks.append(Check(kind, field, _shown(field, value), _shown(field, expected), status))
    return checks


def _expired(docs: dict[str, ApplicationDocument], today: dt.date) -> list[str]:
    out = []
    for kind in ("id_back", "driving_licence"):
        valid_to = docs[kind].ocr_fields.get("valid_to", "") if kind in docs else ""
        if valid_to and valid_to != "长期" and dt.date.fromisoformat(valid_to) < today:
            out.append(kind)
    return out


def documents_read_facts(
    application: Application, *, today: dt.date, primary: Applicant | None
) -> dict:
    """Risk's view of the documents read (``risk.facts.DocumentsReadFacts``) on business date
    ``today``; ``primary``: the application's primary applicant (None: it has none)."""
    docs = read_documents(application)
    checks = document_checks(application, docs=docs, primary=primary)
    price = docs["invoice"].ocr_fields.get("price") if "invoice" in docs else None
    return {
        "read": sorted(docs),
        "mismatches": sorted(c.code for c in checks if c.status == "mismatch"),
        "expired": _expired(docs, today),
        "edited": sorted(k for k, d in docs.items() if d.editing_software),
        "invoice_price": price,
    }


def document_signals(application: Application) -> list[dict]:
    """Forgery signals the underwriter reads beside the comparison (document, label, detail),
    and the image documents OCR could read nothing on."""
    docs = read_documents(application)
    kinds = dict(DocumentKind.choices)
    signals = [
        {"document": str(kinds.get(k, "")), "label": str(_("未能识别")), "detail": ""}
        for k, d in sorted(docs.items())
        if k in parsers.PARSERS and not d.ocr_fields
    ]
    signals += [
        {
            "document": str(kinds.get(k, "")),
            "label": str(_("证件已过有效期")),
            "detail": docs[k].ocr_fields["valid_to"],
        }
        for k in _expired(docs, business_date_current())
    ]
    signals += [
        {
            "document": str(kinds.get(k, "")),
            "label": str(_("图片经编辑软件处理")),
            "detail": d.editing_software,
        }
        for k, d in sorted(docs.items())
        if d.editing_software
    ]
    return signals


def id_card_prefill(application: Application) -> dict:
    """The applicant form's fields as the latest ID card photo reads them (the customer
    confirms them by saving the form); {} without a read ID card."""
    document = read_documents(application).get("id_front")
    if document is None:
        return {}
    fields = _fields(document)
    prefill = {k: fields[k] for k in ("name", "id_number", "address") if k in fields}
    if "birth_date" in fields:
        prefill["birth_date"] = dt.date.fromisoformat(fields["birth_date"])
    return prefill


def document_read_after_commit(document: ApplicationDocument) -> None:
    """Queue the OCR of a new image document once its row is committed."""
    if document.content_type.startswith("image/"):
        after_commit(OCR_TASK, document.pk)


STATUS_LABELS = {"match": _("一致"), "mismatch": _("不一致"), "unread": _("未识别")}


def document_check_rows(application: Application) -> list[dict]:
    """The comparison as the underwriter reads it: labels, never codes."""
    kinds = dict(DocumentKind.choices)
    return [
        {
            "document": str(kinds.get(c.doc_kind, "")),
            "field": str(FIELD_LABELS.get(c.field, "")),
            "read": c.read,
            "expected": c.expected,
            "status": c.status,
            "status_label": str(STATUS_LABELS[c.status]),
        }
        for c in document_checks(application)
    ]
