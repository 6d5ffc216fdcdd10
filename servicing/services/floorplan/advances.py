"""A dealer's request to finance a car of its stock, its approval and its release to the bank.

Every refusal raises `FloorplanError` with a Chinese message and writes nothing: a line not
active, a bad VIN, a VIN already financed (the database refuses it too), an amount above the
invoice price or the line's available limit, a payee account not verified. Requests on one line
serialise on the line's row lock, so two requests never share the same available limit.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import encrypt
from autofin.money import quantize_fen, to_decimal
from autofin.policy import policy_value
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from dealers.selectors import dealer_settlement_account, dealer_summary, staff_for_user
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus
from origination.models.payees import Payee, PayeeKind
from origination.services.payees import payee_account
from origination.validators import validate_vin
from servicing.models.floorplan import (
    LIVE_ADVANCE_STATUSES,
    AdvancePayeeKind,
    AdvanceStatus,
    CertificateStatus,
    FloorplanAdvance,
)
from servicing.selectors.floorplan import line_available, line_used
from servicing.services.disbursement.states import DisbursementError
from servicing.services.outgoing import dispatch_after_commit, outgoing_release

SEND_TASK = "servicing.tasks.floorplan.floorplan_advance_send"
CHECKER_ABOVE = "servicing.floorplan_checker_above"


class FloorplanError(DisbursementError):
    """A floor-plan action refused, nothing written; `field` names a form field. A kind of
    DisbursementError: the bank's callback endpoint answers both the same way."""


def floorplan_permission_require(by: Any, action: MoneyAction) -> None:
    if not can_move_money(by, action):
        raise FloorplanError(_("您没有库存融资的该项操作权限。"), code="forbidden")


def amount_parse(value: Any, field: str) -> Decimal:
    try:
        amount = quantize_fen(to_decimal(value))
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise FloorplanError(_("请输入有效金额。"), field=field) from exc
    if amount <= 0:
        raise FloorplanError(_("金额应大于零。"), field=field)
    return amount


def line_usage_push(line_id: int) -> None:
    """Hand origination the line's use (it cannot read the advances), in the caller's
    transaction."""
    FloorplanLine.objects.filter(pk=line_id).update(
        used_amount=line_used(line_id), used_as_of=timezone.now()
    )


def _payee(*, dealer_id: int, payee_kind: str, oem_payee_id: int | None) -> dict:
    """The verified account the advance is paid to, as plain values."""
    if payee_kind == AdvancePayeeKind.DEALER:
        account = dealer_settlement_account(dealer_id=dealer_id)
        if account is None:
            raise FloorplanError(
                _("经销商没有已核验的结算账户，不能向经销商付款。"), field="payee_kind"
            )
        name = dealer_summary(dealer_id=dealer_id)["legal_name"]
        return {**account, "payee_id": account["account_id"], "payee_name": name}
    if payee_kind != AdvancePayeeKind.OEM:
        raise FloorplanError(_("请选择收款方（主机厂或经销商）。"), field="payee_kind")
    payee = Payee.objects.filter(pk=oem_payee_id, payee_type=PayeeKind.OEM, active=True).first()
    if payee is None:
        raise FloorplanError(_("请选择登记簿中的主机厂收款方。"), field="oem_payee")
    if not payee.verified:
        raise FloorplanError(_("主机厂收款账户尚未核验，不能付款。"), field="oem_payee")
    return {**payee_account(payee=payee), "payee_id": payee.pk, "payee_name": payee.name}


def _request_inputs(vin, model_name, oem_invoice_number, invoice_price, amount) -> tuple:
    """The request's fields checked and normalised (nothing read from the database)."""
    try:
        vin = validate_vin(vin)
    except ValidationError as exc:
        raise FloorplanError(exc.messages[0], field="vin") from exc
    model_name = (model_name or "").strip()[:100]
    oem_invoice_number = (oem_invoice_number or "").strip()[:40]
    if not model_name:
        raise FloorplanError(_("请填写车型。"), field="model_name")
    if not oem_invoice_number:
        raise FloorplanError(_("请填写厂家发票号。"), field="oem_invoice_number")
    invoice_price = amount_parse(invoice_price, "invoice_price")
    amount = amount_parse(amount, "amount")
    if amount > invoice_price:
        raise FloorplanError(
            _("融资金额 %(amount)s 不能超过发票价格 %(price)s。")
            % {"amount": amount, "price": invoice_price},
            field="amount",
        )
    return vin, model_name, oem_invoice_number, invoice_price, amount


def advance_request(
    *,
    line: FloorplanLine,
    vin: str,
    model_name: str,
    invoice_price: Any,
    oem_invoice_number: str,
    amount: Any,
    payee_kind: str,
    by: Any,
    oem_payee_id: int | None = None,
) -> FloorplanAdvance:
    floorplan_permission_require(by, MoneyAction.FLOORPLAN_ADVANCE_REQUEST)
    staff = staff_for_user(by)
    if staff is not None and staff.dealer_id != line.dealer_id:
        raise FloorplanError(_("您只能为本经销商申请库存融资。"), code="forbidden")
    vin, model_name, oem_invoice_number, invoice_price, amount = _request_inputs(
        vin, model_name, oem_invoice_number, invoice_price, amount
    )
    with transaction.atomic():
        line = FloorplanLine.objects.select_for_update().get(pk=line.pk)
        if line.status != FloorplanLineStatus.ACTIVE:
            raise FloorplanError(
                _("库存融资额度当前为“%(status)s”状态，不能申请放款。")
                % {"status": line.get_status_display()},
                code="line_not_active",
            )
        if FloorplanAdvance.objects.filter(vin=vin, status__in=LIVE_ADVANCE_STATUSES).exists():
            raise FloorplanError(_("车架号 %(vin)s 已有库存融资。") % {"vin": vin}, field="vin")
        available = line_available(line)
        if amount > available:
            raise FloorplanError(
                _("融资金额 %(amount)s 超过可用额度 %(available)s。")
                % {"amount": amount, "available": available},
                field="amount",
            )
        payee = _payee(dealer_id=line.dealer_id, payee_kind=payee_kind, oem_payee_id=oem_payee_id)
        try:
            with transaction.atomic():
                advance = FloorplanAdvance.objects.create(
                    line=line,
                    dealer_id=line.dealer_id,
                    dealer_name=dealer_summary(dealer_id=line.dealer_id)["legal_name"],
                    vin=vin,
                    model_name=model_name,
                    invoice_price=invoice_price,
                    oem_invoice_number=oem_invoice_number,
                    amount=amount,
                    annual_rate=line.annual_rate,
                    curtailment_plan=line.curtailment_plan,
                    payee_kind=payee_kind,
                    payee_id=payee["payee_id"],
                    payee_name=payee["payee_name"],
                    account_name=payee["account_name"],
                    bank_name=payee["bank_name"],
                    account_number_enc=encrypt(payee["account_number"]),
                    account_number_masked=payee["account_number_masked"],
                    requested_by=by,
                )
        except IntegrityError as exc:  # another line financed the VIN meanwhile
            raise FloorplanError(
                _("车架号 %(vin)s 已有库存融资。") % {"vin": vin}, field="vin"
            ) from exc
        line_usage_push(line.pk)
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_advance_request",
            to_state=advance.status,
            data={"vin": vin, "amount": str(amount), "payee": advance.account_number_masked},
        )
    return advance


def advance_lock(advance: FloorplanAdvance | int) -> FloorplanAdvance:
    pk = advance if isinstance(advance, int) else advance.pk
    return FloorplanAdvance.objects.select_for_update().get(pk=pk)


def advance_approve(advance: FloorplanAdvance | int, by: Any) -> FloorplanAdvance:
    """Finance approves the request; above the threshold its release needs another person."""
    floorplan_permission_require(by, MoneyAction.FLOORPLAN_ADVANCE_APPROVE)
    with transaction.atomic():
        advance = advance_lock(advance)
        if advance.status != AdvanceStatus.REQUESTED:
            raise FloorplanError(_("该放款不在待审批状态。"), code="not_requested")
        if advance.requested_by_id == by.pk:
            raise FloorplanError(_("审批人不能是申请人本人。"), code="same_user")
        advance.needs_checker = advance.amount > policy_value(CHECKER_ABOVE)
        advance.approved_by = by
        advance.approved_at = timezone.now()
        advance.status = AdvanceStatus.APPROVED
        advance.save()
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_advance_approve",
            from_state=AdvanceStatus.REQUESTED,
            to_state=advance.status,
            data={"needs_checker": advance.needs_checker},
        )
    return advance


def advance_reject(advance: FloorplanAdvance | int, by: Any, *, reason: str) -> FloorplanAdvance:
    floorplan_permission_require(by, MoneyAction.FLOORPLAN_ADVANCE_APPROVE)
    reason = (reason or "").strip()[:255]
    if not reason:
        raise FloorplanError(_("请填写拒绝原因。"), field="reason")
    with transaction.atomic():
        advance = advance_lock(advance)
        before = advance.status
        if before not in (AdvanceStatus.REQUESTED, AdvanceStatus.APPROVED):
            raise FloorplanError(_("该放款已放行，不能拒绝。"), code="not_pending")
        advance.status = AdvanceStatus.REJECTED
        advance.rejected_reason = reason
        advance.save()
        line_usage_push(advance.line_id)
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_advance_reject",
            from_state=before,
            to_state=advance.status,
            reason=reason,
        )
    return advance


def _account_still_verified(advance: FloorplanAdvance) -> bool:
    try:
        current = _payee(
            dealer_id=advance.dealer_id,
            payee_kind=advance.payee_kind,
            oem_payee_id=advance.payee_id,
        )
    except FloorplanError:
        return False
    return (current["payee_id"], current["account_number_masked"]) == (
        advance.payee_id,
        advance.account_number_masked,
    )


def advance_release(advance: FloorplanAdvance | int, by: Any) -> FloorplanAdvance:
    """Pay the approved advance (sent after commit under a new key). Concurrent releases
    serialise on the advance's row lock: one pays, the others are refused."""
    floorplan_permission_require(by, MoneyAction.FLOORPLAN_ADVANCE_RELEASE)
    with transaction.atomic():
        advance = advance_lock(advance)
        if advance.status != AdvanceStatus.APPROVED:
            raise FloorplanError(_("该放款不在待放款状态，不能放行。"), code="not_approved")
        if advance.needs_checker and advance.approved_by_id == by.pk:
            raise FloorplanError(
                _("金额超过复核标准：放行人不能是审批人本人，需由另一位同事放行。"),
                code="same_user",
            )
        line = FloorplanLine.objects.get(pk=advance.line_id)
        if line.status != FloorplanLineStatus.ACTIVE:
            raise FloorplanError(
                _("库存融资额度当前为“%(status)s”状态，不能放款。")
                % {"status": line.get_status_display()},
                code="line_not_active",
            )
        if not _account_still_verified(advance):
            raise FloorplanError(
                _("收款账户已变更或未核验，请驳回后重新申请。"), code="account_changed"
            )
        outgoing_release(advance, key=f"FA{advance.pk}-{uuid.uuid4().hex[:12]}")
        advance.released_by = by
        advance.status = AdvanceStatus.RELEASED
        advance.save()
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_advance_release",
            from_state=AdvanceStatus.APPROVED,
            to_state=advance.status,
            data={
                "key": advance.idempotency_key,
                "amount": str(advance.amount),
                "account": advance.account_number_masked,
            },
        )
        dispatch_after_commit(SEND_TASK, [advance.pk])
    return advance


def _custodian_require(by: Any) -> None:
    if not user_has_role(by, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
        raise FloorplanError(_("只有财务人员可以登记合格证。"), code="forbidden")


def certificate_receive(
    advance: FloorplanAdvance | int, *, certificate_no: str, by: Any
) -> FloorplanAdvance:
    """The car's 合格证 arrived and is held in custody until the advance is paid off."""
    _custodian_require(by)
    certificate_no = (certificate_no or "").strip()[:40]
    if not certificate_no:
        raise FloorplanError(_("请填写合格证编号。"), field="certificate_no")
    with transaction.atomic():
        advance = advance_lock(advance)
        if advance.certificate_status != CertificateStatus.AWAITED or advance.status not in (
            LIVE_ADVANCE_STATUSES
        ):
            raise FloorplanError(_("该车辆的合格证不在待收取状态。"), code="not_awaited")
        advance.certificate_status = CertificateStatus.HELD
        advance.certificate_no = certificate_no
        advance.certificate_received_on = business_date_for_posting()
        advance.save()
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_certificate_receive",
            from_state=CertificateStatus.AWAITED,
            to_state=CertificateStatus.HELD,
            data={"certificate_no": certificate_no},
        )
    return advance


def certificate_released_set(advance: FloorplanAdvance) -> None:
    advance.certificate_status = CertificateStatus.RELEASED
    advance.certificate_released_on = business_date_for_posting()
