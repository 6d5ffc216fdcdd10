"""The checker's look at a payment instruction's full account number (明文账号): shown only on
request, to finance staff, and every reveal leaves an audit row (who, which instruction, which
account, when). Before release the account is the payee's current verified master data (what
release will pay); after, the one the latest attempt was sent to."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt
from autofin.roles import Role, user_has_role
from servicing.models.disbursement import PayeeKind, PaymentInstruction
from servicing.services.disbursement.create import instruction_account
from servicing.services.disbursement.states import DisbursementError


def instruction_account_preview(instruction: PaymentInstruction) -> dict:
    """The account release will pay (masked; no audit), or {"error": text} when the payee has
    no verified account. The lender's own fee is not paid out."""
    if instruction.payee_kind == PayeeKind.LENDER:
        return {"internal": True}
    try:
        account = instruction_account(instruction)
    except DisbursementError as exc:
        return {"error": exc.message}
    return {k: v for k, v in account.items() if k != "account_number"}


def instruction_account_reveal(*, instruction_id: int, actor: Any) -> dict:
    """The full account of one instruction for a finance user, audited."""
    if not user_has_role(actor, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
        raise DisbursementError(_("只有财务人员可以查看完整账号。"), code="forbidden")
    instruction = PaymentInstruction.objects.select_related("disbursement").get(pk=instruction_id)
    if instruction.payee_kind == PayeeKind.LENDER:
        raise DisbursementError(_("本公司留存费用不对外付款，没有收款账号。"), code="internal")
    attempt = instruction.attempts.order_by("-attempt_no").first()
    if attempt is not None:
        account = {
            "account_name": instruction.account_name,
            "bank_name": instruction.bank_name,
            "account_number": decrypt(attempt.account_number_enc),
            "account_number_masked": attempt.account_number_masked,
        }
    else:
        account = instruction_account(instruction)
    audit_record(
        actor=actor,
        obj=instruction,
        action="payee_account_reveal",
        data={
            "disbursement": instruction.disbursement.contract_ref,
            "seq": instruction.seq,
            "payee": instruction.payee_name,
            "account": account["account_number_masked"],
        },
    )
    return account
