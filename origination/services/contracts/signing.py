"""The customer signs online: an SMS one-time code, the issued PDF's hash checked, the signed
PDF (contract + signature page) sealed by the e-signature evidence service and stored, the
application moved to contract_signed."""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt
from origination.esign import ESignError, esign_adapter
from origination.models.applications import ApplicationStatus
from origination.models.contracts import (
    ChecklistItemKind,
    ChecklistStatus,
    Contract,
    ContractSignature,
    ContractStatus,
    FundingChecklistItem,
)
from origination.selectors.applications import applications_for_customer
from origination.selectors.payees import contract_payees_unregistered
from origination.services.contracts import pdf
from origination.services.contracts.errors import ContractSignError
from origination.services.contracts.notices import customer_notify
from origination.services.signup import sms_code_send, sms_code_verify
from origination.services.state import application_transition

log = logging.getLogger(__name__)
S = ApplicationStatus
CS = ContractStatus


SIGN_PURPOSE = "contract_sign"


def customer_owns_application(user, application_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return applications_for_customer(user).filter(pk=application_id).exists()


def contract_customer_may_sign(user, contract: Contract) -> bool:
    return customer_owns_application(user, contract.application_id)


def _sign_phone(contract: Contract) -> str:
    app = contract.application
    return decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""


def _signer_check(actor, contract: Contract) -> None:
    """Only the applicant signs, and only an issued contract."""
    if not contract_customer_may_sign(actor, contract):
        raise ContractSignError(_("只有申请人本人可以签署合同。"))
    if contract.status != CS.ISSUED:
        raise ContractSignError(_("该合同当前不能签署。"))
    contract_payees_check(contract)


def contract_payees_check(contract: Contract) -> None:
    """A contract is signed only with payees the register holds, verified: refuses naming every
    unmatched one (nothing is changed, no code is sent or spent)."""
    missing = contract_payees_unregistered(contract.payees)
    if missing:
        raise ContractSignError(
            {
                "payees": [
                    _(
                        "合同中的以下收款方尚未在收款方登记簿登记或核验：%(names)s。"
                        "请联系业务人员从登记簿中选择收款方后重新出具合同，本合同未作任何变更。"
                    )
                    % {"names": "、".join(missing)}
                ]
            }
        )


def contract_sign_code_send(*, contract_id: int, actor: Any):
    """Text the customer a one-time code for signing (the sign-up SMS code service); the text
    names the contract and the amount, so the customer knows what the code signs."""
    contract = Contract.objects.select_related("application").get(pk=contract_id)
    _signer_check(actor, contract)
    text = _(
        "【AutoFin】您正在签署合同 %(ref)s，融资金额 ¥%(amount)s，验证码是 %%(code)s，"
        "5 分钟内有效。如非本人操作请忽略，请勿告诉他人。"
    ) % {"ref": contract.contract_ref, "amount": f"{contract.amount_financed:,.2f}"}
    return sms_code_send(
        phone=_sign_phone(contract), purpose=SIGN_PURPOSE, client=f"user:{actor.pk}", text=text
    )


def contract_sign(
    *,
    contract_id: int,
    actor: Any,
    code: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ContractSignature:
    """The customer signs: the SMS code is checked first (a wrong one changes nothing but the
    code's attempt count), then the issued PDF's hash is checked against the stored file, the
    signed PDF (contract + signature page) stored with its SHA-256, the contract marked
    signed, the checklist's signed_contract item done, and the application moved to
    contract_signed — all in one transaction."""
    contract = Contract.objects.select_related("application").get(pk=contract_id)
    _signer_check(actor, contract)
    phone = _sign_phone(contract)
    if not str(code or "").strip() or not sms_code_verify(
        phone=phone, code=str(code), purpose=SIGN_PURPOSE
    ):
        raise ContractSignError({"code": [_("验证码错误或已过期。")]})
    if pdf.file_sha256(contract.pdf_path) != contract.pdf_sha256:
        log.error("contract %s: stored PDF does not match its hash", contract.contract_ref)
        raise ContractSignError(_("合同文件校验失败，请联系客服。"))
    now = timezone.now()
    page = _signature_page(contract, now=now, ip_address=ip_address)
    # through the module, where tests stand a fast PDF in for the real one
    signed_pdf = pdf.contract_signed_pdf_render(contract, page)
    evidence = _evidence_lodge(
        contract, signed_pdf=signed_pdf, signer_name=page["signer_name"], now=now
    )
    relative = f"contracts/{contract.application_id}/{contract.contract_ref}-v{contract.version}-signed-{uuid.uuid4().hex[:8]}.pdf"  # noqa: E501
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != CS.ISSUED:
            raise ContractSignError(_("该合同当前不能签署。"))
        signed_sha = pdf.pdf_store(relative, signed_pdf)
        signature = ContractSignature.objects.create(
            contract=locked,
            signer=actor,
            signer_name=page["signer_name"],
            signed_at=now,
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:300],
            verification="sms_otp",
            document_sha256=locked.pdf_sha256,
            signed_pdf_path=relative,
            signed_pdf_sha256=signed_sha,
        )
        _signed_record(
            locked, actor=actor, now=now, signature=signature, evidence=evidence, ip=ip_address
        )
        customer_notify(
            contract.application,
            _("【AutoFin】您已成功签署合同 %(ref)s，我们将尽快安排放款。")
            % {"ref": locked.contract_ref},
            purpose="contract_signed",
            key=f"contract:{locked.contract_ref}:signed",
        )
        return signature


def _signature_page(contract: Contract, *, now, ip_address: str | None) -> dict:
    """What the signature page shows: who signed, when, from where, how they were verified,
    and the hash of the document they signed."""
    primary = contract.application.primary_applicant
    verification = _("短信验证码（%(mobile)s）验证通过") % {
        "mobile": contract.application.customer_mobile_masked
    }
    return {
        "signer_name": primary.name if primary else contract.application.customer_name,
        "signed_at": timezone.localtime(now),
        "ip_address": ip_address or "",
        "verification": verification,
        "document_sha256": contract.pdf_sha256,
    }


def _evidence_lodge(contract: Contract, *, signed_pdf: bytes, signer_name: str, now) -> dict:
    """Lodged with the evidence service before anything is stored: outside our transaction (an
    HTTP call), and idempotent by the PDF's hash if the signing is retried."""
    try:
        return esign_adapter().seal(
            document_sha256=hashlib.sha256(signed_pdf).hexdigest(),
            signer_name=signer_name,
            signed_at=now,
            contract_ref=contract.contract_ref,
        )
    except ESignError as exc:
        log.error("contract %s: e-signature evidence failed: %s", contract.contract_ref, exc)
        raise ContractSignError(_("签署服务暂时不可用，请稍后再试。")) from exc


def _signed_record(
    locked: Contract, *, actor, now, signature: ContractSignature, evidence: dict, ip: str | None
) -> None:
    """The contract signed, the checklist's signed_contract item done (the signed PDF's hash
    its evidence), the audit row, and the application moved to contract_signed."""
    signed_sha = signature.signed_pdf_sha256
    locked.status = CS.SIGNED
    locked.signed_at = now
    locked.save(update_fields=["status", "signed_at"])
    FundingChecklistItem.objects.filter(
        contract=locked, item_kind=ChecklistItemKind.SIGNED_CONTRACT
    ).update(
        status=ChecklistStatus.DONE,
        evidence=f"sha256:{signed_sha}"[:300],
        recorded_at=now,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        obj=locked,
        action="contract_sign",
        from_state=CS.ISSUED,
        to_state=CS.SIGNED,
        data={
            "ip": ip,
            "document_sha256": locked.pdf_sha256,
            "signed_pdf_sha256": signed_sha,
            "verification": "sms_otp",
            "esign_evidence": evidence["evidence_ref"],
        },
    )
    application_transition(
        application=locked.application_id,
        to_status=S.CONTRACT_SIGNED,
        actor=actor,
        reason=f"{locked.contract_ref} signed",
        data={"contract": locked.contract_ref, "signed_pdf_sha256": signed_sha},
    )
