"""The payee register (收款方登记簿): insurers, the tax account, warranty and accessory suppliers
and GPS providers, with their verified bank accounts. Every addition or account change is
maker-checked: a finance operator prepares a `PayeeChange`, a finance approver (another person)
approves it; the database refuses an approval by the maker (CHECK)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.crypto import decrypt, encrypt, keyed_hash, mask, normalise
from autofin.roles import Role, user_has_role
from autofin.uploads import UploadError, upload_store
from origination.models.payees import REGISTER_KINDS, Payee, PayeeChange, PayeeKind


class PayeeError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def mask_account(number: str) -> str:
    return mask(number, keep_start=4, keep_end=4)


def payee_change_prepare(
    *,
    actor: Any,
    payee_type: str,
    name: str,
    account_name: str,
    bank_name: str,
    account_number: str,
    payee_id: int | None = None,
    reason: str = "",
    evidence=None,
) -> PayeeChange:
    """The maker: propose a new payee (payee_id None) or a new account for one, with the
    evidence document (an uploaded PDF or image) the checker will open."""
    if not user_has_role(actor, Role.FINANCE_OPERATOR):
        raise PayeeError(_("只有财务经办可以提交收款方变更。"), code="forbidden")
    if payee_type not in [k.value for k in REGISTER_KINDS]:
        raise PayeeError(_("收款方类型无效。"), field="payee_type")
    name, account_name, bank_name = name.strip(), account_name.strip(), bank_name.strip()
    if not name:
        raise PayeeError(_("请填写收款方名称。"), field="name")
    if not account_name:
        raise PayeeError(_("请填写户名。"), field="account_name")
    if not bank_name:
        raise PayeeError(_("请填写开户行。"), field="bank_name")
    number = normalise(account_number)
    if not re.fullmatch(r"\d{8,30}", number):
        raise PayeeError(_("银行账号应为 8 至 30 位数字。"), field="account_number")
    if payee_type == PayeeKind.REPOSSESSION_VENDOR and payee_id is None and not evidence:
        raise PayeeError(_("收车服务商须上传资质审查材料。"), field="evidence")
    stored = _evidence_store(evidence)
    with transaction.atomic():
        payee = None
        if payee_id is not None:
            payee = Payee.objects.select_for_update().filter(pk=payee_id, active=True).first()
            if payee is None:
                raise PayeeError(_("收款方不存在或已停用。"), field="payee_id")
            if payee.payee_type != payee_type:
                raise PayeeError(_("不能变更收款方类型。"), field="payee_type")
            if PayeeChange.objects.filter(payee=payee, status=PayeeChange.Status.PENDING).exists():
                raise PayeeError(_("该收款方已有一笔待复核的变更。"), code="pending_exists")
        elif Payee.objects.filter(payee_type=payee_type, name=name, active=True).exists():
            raise PayeeError(_("同类型同名的收款方已存在，请提交账户变更。"), field="name")
        change = PayeeChange.objects.create(
            payee=payee,
            payee_type=payee_type,
            name=name,
            account_name=account_name,
            bank_name=bank_name,
            account_number_enc=encrypt(number),
            account_number_hash=keyed_hash(number),
            account_number_masked=mask_account(number),
            reason=reason[:255],
            evidence_path=stored.relative_path if stored else "",
            evidence_content_type=stored.content_type if stored else "",
            evidence_sha256=stored.sha256 if stored else "",
            prepared_by=actor,
        )
        audit_record(
            actor=actor,
            obj=change,
            action="payee_change_prepare",
            to_state=PayeeChange.Status.PENDING,
            reason=reason,
            data={
                "payee_id": payee_id,
                "account": change.account_number_masked,
                "evidence_sha256": change.evidence_sha256,
            },
        )
    return change


def _evidence_store(evidence):
    """Store the evidence upload (PDF or image), or None when none was attached."""
    if not evidence:
        return None
    try:
        return upload_store(file=evidence, subdir="payee-evidence")
    except UploadError as exc:
        raise PayeeError(exc.messages[0], field="evidence") from exc


def _decide(*, actor: Any, change_id: int) -> PayeeChange:
    if not user_has_role(actor, Role.FINANCE_APPROVER):
        raise PayeeError(_("只有财务复核可以复核收款方变更。"), code="forbidden")
    change = PayeeChange.objects.select_for_update().get(pk=change_id)
    if change.status != PayeeChange.Status.PENDING:
        raise PayeeError(_("该变更已处理。"), code="not_pending")
    if change.prepared_by_id == actor.pk:
        raise PayeeError(
            _("复核人不能是经办人本人：收款方变更需由另一位同事复核。"), code="same_user"
        )
    return change


def payee_change_approve(*, actor: Any, change_id: int, reason: str = "") -> Payee:
    """The checker: the change becomes the payee's verified account (a new payee if none)."""
    with transaction.atomic():
        change = _decide(actor=actor, change_id=change_id)
        if change.payee_id is None:
            payee = Payee(payee_type=change.payee_type, name=change.name)
            before = None
        else:
            payee = Payee.objects.select_for_update().get(pk=change.payee_id)
            before = payee.account_number_masked
        payee.account_name = change.account_name
        payee.bank_name = change.bank_name
        payee.account_number_enc = change.account_number_enc
        payee.account_number_hash = change.account_number_hash
        payee.account_number_masked = change.account_number_masked
        payee.verified = True
        payee.active = True
        if payee.payee_type == PayeeKind.REPOSSESSION_VENDOR and payee.vetted_on is None:
            payee.vetted_on = business_date_current()  # the checker saw the vetting evidence
        payee.save()
        change.payee = payee
        change.status = PayeeChange.Status.APPROVED
        change.approved_by = actor
        change.decided_at = timezone.now()
        change.decision_reason = reason[:255]
        change.save(
            update_fields=["payee", "status", "approved_by", "decided_at", "decision_reason"]
        )
        audit_record(
            actor=actor,
            obj=change,
            action="payee_change_approve",
            from_state=PayeeChange.Status.PENDING,
            to_state=PayeeChange.Status.APPROVED,
            reason=reason,
            data={"payee_id": payee.pk},
        )
        audit_record(
            actor=actor,
            obj=payee,
            action="payee_account_set",
            from_state=before or "",
            to_state=payee.account_number_masked,
            data={"change_id": change.pk, "prepared_by": change.prepared_by_id},
        )
    return payee


def payee_change_reject(*, actor: Any, change_id: int, reason: str) -> PayeeChange:
    if not (reason or "").strip():
        raise PayeeError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        change = _decide(actor=actor, change_id=change_id)
        change.status = PayeeChange.Status.REJECTED
        change.approved_by = actor
        change.decided_at = timezone.now()
        change.decision_reason = reason[:255]
        change.save(update_fields=["status", "approved_by", "decided_at", "decision_reason"])
        audit_record(
            actor=actor,
            obj=change,
            action="payee_change_reject",
            from_state=PayeeChange.Status.PENDING,
            to_state=PayeeChange.Status.REJECTED,
            reason=reason,
        )
    return change


def payee_account(*, payee: Payee) -> dict:
    """The payee's verified account as plain values (decrypted number) for a payment."""
    return {
        "account_name": payee.account_name,
        "bank_name": payee.bank_name,
        "account_number": decrypt(payee.account_number_enc),
        "account_number_masked": payee.account_number_masked,
    }
