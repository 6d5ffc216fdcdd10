"""Money out for a repossession case, maker-checked: a vendor's cost (towing, storage, legal,
valuation, auction), prepared by a finance maker to the vetted vendor's verified account, or the
sale's surplus to the customer (prepared by the sale's recorder). The checker, who is not the
maker, releases it: a cost becomes the loan's recoverable cost then (借 recoverable cost
receivable / 贷 vendor payable), and the bank pays it under its key (`bank.py`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import encrypt
from autofin.money import ROUND_HALF_UP, quantize_fen
from autofin.roles import MoneyAction
from origination.services.payees import mask_account
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.repossession import (
    CostKind,
    LegalCase,
    PaymentPurpose,
    RepossessionCase,
    RepossessionPayment,
    RepossessionStatus,
)
from servicing.services.ledger.posting import journal_post
from servicing.services.outgoing import dispatch_after_commit, outgoing_release
from servicing.services.repossession.cases import (
    RepossessionError,
    amount_parse,
    case_lock,
    require,
    vetted_vendor,
)

P = RepossessionPayment
OPEN = (RepossessionStatus.APPROVED, RepossessionStatus.IN_STORAGE)
SEND_TASK = "servicing.tasks.repossession.repossession_payment_send"


def repossession_cost_prepare(
    *,
    case_id: int,
    kind: str,
    amount: Any,
    vendor_payee_id: int,
    invoice_ref: str,
    actor: Any,
    legal_case_id: int | None = None,
) -> RepossessionPayment:
    """A cost the case incurred, to pay its vetted vendor; waits for a checker."""
    require(actor, MoneyAction.REPOSSESSION_PAYMENT_PREPARE)
    if kind not in CostKind.values:
        raise RepossessionError(_("请选择费用类型。"), field="kind")
    value = amount_parse(amount, "amount")
    if value is None or value <= 0:
        raise RepossessionError(_("请填写费用金额。"), field="amount")
    if not (invoice_ref or "").strip():
        raise RepossessionError(_("请填写发票或凭证号。"), field="invoice_ref")
    with transaction.atomic():
        case = case_lock(case_id, RepossessionStatus.APPROVED, RepossessionStatus.IN_STORAGE)
        vendor = vetted_vendor(vendor_payee_id)
        legal = None
        if legal_case_id is not None:
            legal = LegalCase.objects.filter(pk=legal_case_id, loan_id=case.loan_id).first()
            if legal is None:
                raise RepossessionError(_("法务案件不属于该贷款。"), field="legal_case")
        payment = RepossessionPayment.objects.create(
            case=case, legal_case=legal, loan_id=case.loan_id, purpose=PaymentPurpose.COST,
            cost_kind=kind, payee_id=vendor.pk, payee_name=vendor.name,
            invoice_ref=invoice_ref.strip(), amount=quantize_fen(value, ROUND_HALF_UP),
            status="prepared", account_name=vendor.account_name, bank_name=vendor.bank_name,
            account_number_enc=vendor.account_number_enc,
            account_number_masked=vendor.account_number_masked, prepared_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, obj=payment, action="repossession_cost_prepare", to_state="prepared",
            data={"case": case.pk, "kind": kind, "amount": str(payment.amount)},
        )  # fmt: skip
    return payment


def surplus_payment_prepare(
    *, case: RepossessionCase, amount, account: dict, actor: Any
) -> RepossessionPayment:
    """The sale's surplus owed back to the customer (the case is locked by the caller)."""
    number = (account.get("account_number") or "").replace(" ", "")
    if not number.isdigit() or not (account.get("account_name") or "").strip():
        raise RepossessionError(_("请填写客户的收款账户（户名与账号）。"), field="account_number")
    return RepossessionPayment.objects.create(
        case=case, loan_id=case.loan_id, purpose=PaymentPurpose.SURPLUS,
        payee_name=account["account_name"].strip(), amount=amount, status="prepared",
        account_name=account["account_name"].strip(), bank_name=account.get("bank_name", ""),
        account_number_enc=encrypt(number), account_number_masked=mask_account(number),
        prepared_by=actor,
    )  # fmt: skip


def _checker_lock(payment_id: int, actor: Any) -> RepossessionPayment:
    require(actor, MoneyAction.REPOSSESSION_PAYMENT_RELEASE)
    case_id = P.objects.filter(pk=payment_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise RepossessionError(_("付款单不存在。"), code="missing")
    # the case first: a sale (which holds it) sees every cost released before it, or none
    case = case_lock(case_id)
    payment = P.objects.select_for_update().get(pk=payment_id)
    if payment.purpose == PaymentPurpose.COST and case.status not in OPEN:
        raise RepossessionError(_("案件已结案，不能再确认收车费用。"), code="closed")
    if payment.status != "prepared":
        raise RepossessionError(_("该付款单已处理。"), code="done")
    if payment.prepared_by_id == getattr(actor, "pk", None):
        raise RepossessionError(
            _("复核人不能是经办人本人：付款须由另一位同事复核。"), code="same_user"
        )
    return payment


def repossession_payment_release(*, payment_id: int, actor: Any) -> RepossessionPayment:
    """The checker's release: a cost is posted to the loan as recoverable, then the bank pays."""
    with transaction.atomic():
        payment = _checker_lock(payment_id, actor)
        on = business_date_for_posting()
        if payment.purpose == PaymentPurpose.COST:
            entry = journal_post(
                business_date=on,
                source_type=SourceType.REPOSSESSION,
                source_id=f"cost-{payment.pk}",
                lines=[
                    (A.RECOVERABLE_COST_RECEIVABLE, "D", payment.amount, payment.loan_id),
                    (A.REPOSSESSION_VENDOR_PAYABLE, "C", payment.amount, payment.loan_id),
                ],
                idempotency_key=f"repossession-cost:{payment.pk}",
                description=_("收车费用 %(kind)s %(name)s")
                % {"kind": payment.get_cost_kind_display(), "name": payment.payee_name},
                actor=actor,
                loan_id=payment.loan_id,
            )
            payment.cost_entry_id = entry.pk
        outgoing_release(payment, key=f"repossession-payment-{payment.pk}")
        payment.status = "released"
        payment.approved_by = actor
        payment.save()
        audit_record(
            actor=actor, obj=payment, action="repossession_payment_release",
            from_state="prepared", to_state=payment.status, data={"amount": str(payment.amount)},
        )  # fmt: skip
    dispatch_after_commit(SEND_TASK, [payment.pk])
    return payment


def repossession_payment_reject(*, payment_id: int, actor: Any, reason: str) -> RepossessionPayment:
    if not (reason or "").strip():
        raise RepossessionError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        payment = _checker_lock(payment_id, actor)
        if payment.purpose == PaymentPurpose.SURPLUS:
            raise RepossessionError(_("处置余款必须退还客户，不能驳回；请更正账户。"))
        payment.status = "rejected"
        payment.approved_by = actor
        payment.save(update_fields=["status", "approved_by", "updated_at"])
        audit_record(
            actor=actor, obj=payment, action="repossession_payment_reject",
            from_state="prepared", to_state="rejected", reason=reason,
        )  # fmt: skip
    return payment
