"""Data-subject requests (PIPL): a copy of a customer's personal data (JSON) and deletion.

Deletion anonymises the applications that the law lets us erase (drafts, declined, withdrawn,
cancelled) and refuses, with the reason, those under legal retention (signed contracts and
funded loans) or still being decided (the customer must withdraw them first).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt, keyed_hash
from autofin.uploads import upload_delete
from origination.models.applications import Application, ApplicationStatus
from origination.models.privacy import DataRequest, DataRequestKind, DataRequestStatus
from origination.services.state import application_transition

S = ApplicationStatus
ERASABLE = frozenset({S.DRAFT, S.DECLINED, S.WITHDRAWN, S.CANCELLED})
RETAINED = frozenset({S.CONTRACT_SIGNED, S.FUNDED})
ANONYMISED_NAME = "已删除"


def customer_applications(user) -> Any:
    phone_key = keyed_hash(user.phone) if getattr(user, "phone", "") else None
    match = Q(customer_id=user.pk)
    if phone_key:
        match |= Q(customer_key=phone_key, customer_confirmed_at__isnull=False)
    return Application.objects.filter(match).order_by("created_at", "id")


def personal_data_export(*, user) -> dict:
    """Everything personal we hold about ``user``, decrypted, as a JSON-ready dict."""
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "user": {
            "username": user.username,
            "display_name": user.display_name,
            "phone": user.phone,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
        },
        "applications": [],
    }
    for app in customer_applications(user).prefetch_related("applicants", "consents", "items"):
        data["applications"].append(
            {
                "reference": app.reference,
                "channel": app.channel,
                "status": app.status,
                "created_at": app.created_at.isoformat(),
                "vehicle": {
                    "brand": app.vehicle_brand,
                    "model": app.vehicle_model,
                    "vin": app.vin,
                    "price": str(app.vehicle_price),
                },
                "applicants": [
                    {
                        "role": a.role,
                        "name": a.name,
                        "id_number": decrypt(a.id_number_enc) if a.id_number_enc else "",
                        "mobile": decrypt(a.mobile_enc) if a.mobile_enc else "",
                        "birth_date": a.birth_date.isoformat() if a.birth_date else None,
                        "address": a.address,
                        "employer": a.employer,
                        "monthly_income": str(a.monthly_income) if a.monthly_income else None,
                        "bank_account": decrypt(a.bank_account_enc) if a.bank_account_enc else "",
                    }
                    for a in app.applicants.all()
                ],
                "consents": [
                    {
                        "kind": c.consent_kind,
                        "text_version": c.text.version,
                        "given_at": c.given_at.isoformat(),
                        "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                    }
                    for c in app.consents.select_related("text")
                ],
                "documents": [
                    {"kind": d.doc_kind, "name": d.original_name, "uploaded_at": str(d.uploaded_at)}
                    for d in app.documents.all()
                ],
            }
        )
    with transaction.atomic():
        request = DataRequest.objects.create(
            user=user,
            kind=DataRequestKind.EXPORT,
            status=DataRequestStatus.COMPLETED,
            result={"applications": len(data["applications"])},
        )
        audit_record(actor=user, obj=request, action="data_export", to_state="completed")
    return data


def _anonymise(app: Application, *, actor) -> None:
    for applicant in app.applicants.all():
        applicant.name = ANONYMISED_NAME
        applicant.id_number_enc = applicant.mobile_enc = applicant.bank_account_enc = ""
        applicant.id_number_hash = applicant.mobile_hash = applicant.bank_account_hash = ""
        applicant.id_number_masked = applicant.mobile_masked = applicant.bank_account_masked = ""
        applicant.address = applicant.employer = ""
        applicant.birth_date = None
        applicant.monthly_income = None
        applicant.save()
    paths = []
    for document in app.documents.all():
        paths += [document.path, document.thumbnail_path]
        document.delete()
    app.customer_name = ANONYMISED_NAME
    app.customer_mobile_enc = ""
    app.customer_mobile_masked = ""
    app.customer_key = f"anonymised:{app.pk}"
    app.vin = ""
    app.anonymised_at = timezone.now()
    app.save()
    if app.status == S.DRAFT:
        application_transition(
            application=app, to_status=S.CANCELLED, actor=actor, reason="personal data deleted"
        )
    audit_record(actor=actor, obj=app, action="application_anonymise", reason="data deletion")
    transaction.on_commit(lambda: [upload_delete(p) for p in paths if p])


def personal_data_delete(*, user) -> DataRequest:
    """Anonymise what may be erased; refuse, per application, what must be kept."""
    done, refused = [], []
    with transaction.atomic():
        apps = list(customer_applications(user).select_for_update())
        for app in apps:
            if app.anonymised_at is not None:
                continue
            if app.status in ERASABLE:
                _anonymise(app, actor=user)
                done.append(app.reference)
            elif app.status in RETAINED:
                refused.append(
                    {
                        "reference": app.reference,
                        "reason": _(
                            "该申请已签署合同，依法须在合同结清后保存至少 5 年，暂不能删除。"
                        ),
                    }
                )
            else:
                refused.append(
                    {
                        "reference": app.reference,
                        "reason": _("该申请正在审批或签约中，请先撤回申请后再申请删除。"),
                    }
                )
        if refused and done:
            status = DataRequestStatus.PARTIAL
        elif refused:
            status = DataRequestStatus.REFUSED
        else:
            status = DataRequestStatus.COMPLETED
        request = DataRequest.objects.create(
            user=user,
            kind=DataRequestKind.DELETION,
            status=status,
            result={"anonymised": done, "refused": refused},
        )
        audit_record(actor=user, obj=request, action="data_delete", to_state=status)
        return request
