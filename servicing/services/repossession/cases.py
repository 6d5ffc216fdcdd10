"""A repossession case from the collections queue: asked for by a collector, approved by someone
else with the authority, assigned to an agent or a vetted vendor, every contact recorded, and
the car taken in by lawful means only — the customer's signed handover record, or the court's
order (a legal case of the case won) — with its condition report, photos, storage and value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ROUND_HALF_UP, AmountSyntaxError, quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from autofin.uploads import UploadError, upload_store
from origination.models.payees import Payee, PayeeKind
from servicing.models.collections import CollectionCase, CollectionQueue
from servicing.models.loans import CLOSED_STATUSES, Loan
from servicing.models.repossession import (
    OPEN_STATUSES,
    ContactKind,
    LegalOutcome,
    RepossessionCase,
    RepossessionContact,
    RepossessionPhoto,
    RepossessionRoute,
    RepossessionStatus,
)
from servicing.services.loans.account import LoanError

S = RepossessionStatus
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
EVIDENCE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class RepossessionError(LoanError):
    """A repossession action refused, nothing written; `field` names a form field."""


def require(actor: Any, action: MoneyAction) -> None:
    if not can_move_money(actor, action):
        raise RepossessionError(_("您没有办理此项收车业务的权限。"), code="forbidden")


def case_lock(case_id: int, *statuses: str) -> RepossessionCase:
    case = RepossessionCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise RepossessionError(_("收车案件不存在。"), code="missing")
    if statuses and case.status not in statuses:
        raise RepossessionError(
            _("收车案件当前状态（%(s)s）不能办理此项业务。") % {"s": case.get_status_display()},
            code="status",
        )
    return case


def repossession_request(*, loan_id: int, route: str, reason: str, actor: Any) -> RepossessionCase:
    """A collector asks to repossess the car of a loan in the M4+ field and legal queue."""
    require(actor, MoneyAction.REPOSSESSION_REQUEST)
    if route not in RepossessionRoute.values:
        raise RepossessionError(_("请选择收车途径。"), field="route")
    reason = (reason or "").strip()
    if not reason:
        raise RepossessionError(_("请填写申请理由。"), field="reason")
    on = business_date_for_posting()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
        if loan is None or loan.status in CLOSED_STATUSES:
            raise RepossessionError(_("贷款不存在或已结清、核销，不能收车。"))
        collection = CollectionCase.objects.filter(
            loan=loan, status=CollectionCase.Status.OPEN, queue=CollectionQueue.FIELD_LEGAL
        ).first()
        if collection is None:
            raise RepossessionError(
                _("只有在“M4+ 外访与法务”队列中的贷款才能申请收车。"), code="not_in_queue"
            )
        if RepossessionCase.objects.filter(loan=loan, status__in=OPEN_STATUSES).exists():
            raise RepossessionError(_("该贷款已有进行中的收车案件。"), code="open_exists")
        case = RepossessionCase.objects.create(
            loan=loan,
            collection_case_id=collection.pk,
            contract_ref=loan.contract_ref,
            route=route,
            reason=reason,
            status=S.REQUESTED,
            requested_on=on,
            requested_by=actor,
        )
        audit_record(
            actor=actor, obj=case, action="repossession_request", to_state=case.status,
            reason=reason, data={"loan": loan.pk, "route": route},
        )  # fmt: skip
    return case


def _decide(case_id: int, actor: Any) -> RepossessionCase:
    require(actor, MoneyAction.REPOSSESSION_APPROVE)
    case = case_lock(case_id, S.REQUESTED)
    if case.requested_by_id == getattr(actor, "pk", None):
        raise RepossessionError(
            _("审批人不能是申请人本人：收车须由另一位有权限的同事审批。"), code="same_user"
        )
    return case


def repossession_approve(*, case_id: int, actor: Any) -> RepossessionCase:
    with transaction.atomic():
        case = _decide(case_id, actor)
        case.status = S.APPROVED
        case.approved_by = actor
        case.approved_on = business_date_for_posting()
        case.save(update_fields=["status", "approved_by", "approved_on", "updated_at"])
        audit_record(
            actor=actor, obj=case, action="repossession_approve", from_state=S.REQUESTED,
            to_state=case.status,
        )  # fmt: skip
    return case


def repossession_reject(*, case_id: int, actor: Any, reason: str) -> RepossessionCase:
    if not (reason or "").strip():
        raise RepossessionError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        case = _decide(case_id, actor)
        case.status = S.REJECTED
        case.approved_by = actor
        case.approved_on = business_date_for_posting()
        case.save(update_fields=["status", "approved_by", "approved_on", "updated_at"])
        audit_record(
            actor=actor, obj=case, action="repossession_reject", from_state=S.REQUESTED,
            to_state=case.status, reason=reason,
        )  # fmt: skip
    return case


def vetted_vendor(payee_id: int | None) -> Payee:
    payee = Payee.objects.filter(
        pk=payee_id, payee_type=PayeeKind.REPOSSESSION_VENDOR, active=True, verified=True
    ).first()
    if payee is None or payee.vetted_on is None:
        raise RepossessionError(_("请选择已通过资质审查的收车服务商。"), field="vendor")
    return payee


def repossession_assign(
    *, case_id: int, actor: Any, vendor_payee_id: int | None = None, agent: Any = None
) -> RepossessionCase:
    """Give the approved case to one of our agents or to a vetted vendor."""
    require(actor, MoneyAction.REPOSSESSION_APPROVE)
    if (vendor_payee_id is None) == (agent is None):
        raise RepossessionError(_("请选择外访人员或收车服务商（二选一）。"), field="vendor")
    with transaction.atomic():
        case = case_lock(case_id, S.APPROVED)
        if vendor_payee_id is not None:
            vendor = vetted_vendor(vendor_payee_id)
            case.vendor_payee_id, case.vendor_name, case.agent = vendor.pk, vendor.name, None
        else:
            case.agent, case.vendor_payee_id, case.vendor_name = agent, None, ""
        case.assigned_on = business_date_for_posting()
        case.save()
        audit_record(
            actor=actor, obj=case, action="repossession_assign",
            data={"vendor": case.vendor_payee_id, "agent": getattr(agent, "pk", None)},
        )  # fmt: skip
    return case


def amount_parse(value: Any, field: str) -> Decimal | None:
    try:
        return to_decimal(str(value).strip()) if value not in (None, "") else None
    except (AmountSyntaxError, TypeError):
        raise RepossessionError(_("请填写有效的数字。"), field=field) from None


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    number = amount_parse(value, field)
    if number is None:
        return None
    if abs(number) > limit:
        raise RepossessionError(_("坐标无效。"), field=field)
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def repossession_contact_record(
    *, case_id: int, kind: str, note: str, actor: Any, latitude: Any = None, longitude: Any = None
) -> RepossessionContact:
    """Every contact, notice and GPS-assisted recovery is recorded; the first notice sent starts
    the time the customer has to redeem the car before it may be sold."""
    require(actor, MoneyAction.REPOSSESSION_WORK)
    if kind not in ContactKind.values:
        raise RepossessionError(_("请选择联系类型。"), field="kind")
    if not (note or "").strip():
        raise RepossessionError(_("请填写联系记录。"), field="note")
    lat, lng = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
    if kind == ContactKind.GPS and (lat is None or lng is None):
        raise RepossessionError(_("GPS 协助找车须记录定位坐标。"), field="latitude")
    on = business_date_for_posting()
    with transaction.atomic():
        case = case_lock(case_id, S.APPROVED, S.IN_STORAGE)
        contact = RepossessionContact.objects.create(
            case=case, kind=kind, on=on, note=note.strip(), latitude=lat, longitude=lng,
            recorded_by=actor,
        )  # fmt: skip
        if kind == ContactKind.NOTICE and case.notice_sent_on is None:
            case.notice_sent_on = on
            case.save(update_fields=["notice_sent_on", "updated_at"])
        audit_record(
            actor=actor, obj=case, action="repossession_contact", data={"kind": kind},
        )  # fmt: skip
    return contact


def _store(file, subdir: str, allowed: frozenset[str], field: str):
    try:
        return upload_store(file=file, subdir=subdir, allowed=allowed)
    except UploadError as exc:
        raise RepossessionError(exc.messages[0], field=field) from exc


def repossession_intake(
    *,
    case_id: int,
    actor: Any,
    condition_report: str,
    storage_location: str,
    odometer_km: int | None = None,
    handover_record=None,
    photos: list | tuple = (),
) -> RepossessionCase:
    """The car taken in: by the customer's signed handover record (voluntary route) or on the
    court's order (a won legal case of this case); condition report, photos and storage."""
    require(actor, MoneyAction.REPOSSESSION_WORK)
    if not (condition_report or "").strip():
        raise RepossessionError(_("请填写车况报告。"), field="condition_report")
    if not (storage_location or "").strip():
        raise RepossessionError(_("请填写停放地点。"), field="storage_location")
    if not photos:
        raise RepossessionError(_("请上传车况照片。"), field="photos")
    with transaction.atomic():
        case = case_lock(case_id, S.APPROVED)
        if case.route == RepossessionRoute.VOLUNTARY and not handover_record:
            raise RepossessionError(
                _("客户自愿交车须上传客户签字的交车确认书。"), field="handover_record"
            )
        if (
            case.route == RepossessionRoute.COURT
            and not case.legal_cases.filter(outcome=LegalOutcome.WON).exists()
        ):
            raise RepossessionError(
                _("司法途径收车须先取得法院准许的裁定或判决。"), code="no_court_order"
            )
        if handover_record:
            stored = _store(handover_record, "repossession", EVIDENCE_TYPES, "handover_record")
            case.handover_record = stored.relative_path
        for photo in photos:
            stored = _store(photo, "repossession", PHOTO_TYPES, "photos")
            RepossessionPhoto.objects.create(
                case=case, path=stored.relative_path, content_type=stored.content_type,
                uploaded_by=actor,
            )  # fmt: skip
        case.status = S.IN_STORAGE
        case.intake_on = business_date_for_posting()
        case.condition_report = condition_report.strip()
        case.storage_location = storage_location.strip()
        case.odometer_km = odometer_km
        case.save()
        audit_record(
            actor=actor, obj=case, action="repossession_intake", from_state=S.APPROVED,
            to_state=case.status, data={"photos": len(photos)},
        )  # fmt: skip
    return case


def repossession_value(*, case_id: int, amount: Any, actor: Any) -> RepossessionCase:
    require(actor, MoneyAction.REPOSSESSION_WORK)
    value = amount_parse(amount, "valuation")
    if value is None or value <= 0:
        raise RepossessionError(_("请填写评估价。"), field="valuation")
    with transaction.atomic():
        case = case_lock(case_id, S.IN_STORAGE)
        case.valuation = quantize_fen(value, ROUND_HALF_UP)
        case.valued_on = business_date_for_posting()
        case.save(update_fields=["valuation", "valued_on", "updated_at"])
        audit_record(actor=actor, obj=case, action="repossession_value", data={"value": str(value)})
    return case
