"""Multi-payee disbursement (放款): prepare (maker) → approve / release (checker; two checkers
above the threshold) → pay each payee through the payment gateway → fund the loan.

States. A disbursement is prepared → (awaiting_second) → released → funded. Each payment
instruction follows its current attempt: pending → sending → sent → succeeded | failed, or
unknown after a timeout. A send is idempotent by its attempt's key (the bank dedupes), so
anything whose fate is unknown (sending, unknown, a lost task) is settled by asking the bank
`status(key)` and, if the bank never saw it, sending again under the SAME key. A NEW key (a new
attempt) is made only by an operator's retry of an instruction the bank confirmed failed; the
database allows one non-failed attempt per instruction. So an instruction is never paid twice.

Locks: the disbursement row, then its instructions by pk, then the attempt. The send step locks
only the instruction and its attempt and holds no lock while the bank is called.

Accounting (every entry balanced, posted with journal_post, source "disbursement"):
* each successful payment: Dr the payee's payable (dealer_payable, insurer_payable, tax_payable,
  warranty_payable, accessory_payable, gps_payable) / Cr bank_clearing - money left our bank;
  until funding, the payable carries that debit (an advance to the payee);
* funding (all instructions succeeded), tagged with the new loan: Dr principal_receivable
  amount financed / Cr each payee's payable its amount (and Cr fee_income for a financed fee
  the lender keeps, kind "lender", which never leaves the bank).
Once funded, each payable nets to zero for the disbursement, bank_clearing is credited with
exactly what was paid, the loan's own lines balance (Dr principal = Σ Cr), and the trial
balance stays zero throughout.

Funding (one transaction, idempotent): loan_create from the contract's snapshotted plain
values, the funding entry, origination's application_mark_funded, the dealer's
commission_accrue, and notifications to the customer and the dealer.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.crypto import decrypt, encrypt
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.notifications import notification_send
from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from servicing.gateway import (
    BankResult,
    GatewayRejected,
    GatewayTimeout,
    PaymentGateway,
    payment_gateway,
)
from servicing.models import AccountCode, SourceType
from servicing.models.disbursement import (
    Disbursement,
    DisbursementStatus,
    InstructionStatus,
    Payee,
    PayeeKind,
    PaymentAttempt,
    PaymentInstruction,
)
from servicing.services.ledger import journal_post
from servicing.services.payees import payee_account

log = logging.getLogger(__name__)

S = InstructionStatus
DS = DisbursementStatus
FINAL = (S.SUCCEEDED, S.FAILED)

PAYABLE = {
    PayeeKind.DEALER: AccountCode.DEALER_PAYABLE,
    PayeeKind.INSURER: AccountCode.INSURER_PAYABLE,
    PayeeKind.TAX: AccountCode.TAX_PAYABLE,
    PayeeKind.WARRANTY: AccountCode.WARRANTY_PAYABLE,
    PayeeKind.ACCESSORY: AccountCode.ACCESSORY_PAYABLE,
    PayeeKind.GPS: AccountCode.GPS_PAYABLE,
    PayeeKind.LENDER: AccountCode.FEE_INCOME,
}
# contract payee_type (origination's vocabulary) -> our payee kind
PAYEE_TYPE_KIND = {
    "dealer": PayeeKind.DEALER,
    "insurer": PayeeKind.INSURER,
    "tax": PayeeKind.TAX,
    "tax_authority": PayeeKind.TAX,
    "warranty": PayeeKind.WARRANTY,
    "warranty_provider": PayeeKind.WARRANTY,
    "accessory": PayeeKind.ACCESSORY,
    "accessories": PayeeKind.ACCESSORY,
    "gps": PayeeKind.GPS,
    "lender": PayeeKind.LENDER,
}


class DisbursementError(Exception):
    """A disbursement operation refused (nothing written); `field` names a form field."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def dual_approval_threshold() -> Decimal:
    """Above this amount financed a disbursement needs two approvers (business policy)."""
    return policy_value("servicing.disbursement_dual_approval_threshold")


def _label(actor: Any) -> str:
    if getattr(actor, "pk", None) and hasattr(actor, "get_username"):
        return actor.get_username()[:150]
    return str(actor or SYSTEM_ACTOR)[:150]


def _dispatch(task_name: str, ids: list[int]) -> None:
    """After commit, hand the ids to the Celery task (settings DISBURSEMENT_DISPATCH: "celery",
    or "eager" to run inline after commit, or "manual": the recovery task picks them up)."""
    mode = settings.DISBURSEMENT_DISPATCH
    if mode == "manual" or not ids:
        return

    def run() -> None:
        from servicing.tasks import disbursement as tasks_disbursement

        task = getattr(tasks_disbursement, task_name)
        for pk in ids:
            if mode == "eager":
                task.apply(args=[pk])
            else:
                task.delay(pk)

    transaction.on_commit(run)


# --- the contract's facts ---------------------------------------------------------------------


def contract_facts_load(*, contract_id: int) -> dict:
    """origination's contract_for_funding, plus the product line commission is accrued on."""
    from origination.models import ProductVersion
    from origination.selectors.contracts import contract_for_funding

    facts = contract_for_funding(contract_id=contract_id)
    if not facts.get("product_line") and facts.get("product_version_id"):
        facts["product_line"] = (
            ProductVersion.objects.filter(pk=facts["product_version_id"])
            .values_list("product__vehicle_kind", flat=True)
            .first()
        )
    return facts


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# --- accounts from master data ----------------------------------------------------------------


def _register_payee(kind: str, name: str) -> Payee | None:
    qs = Payee.objects.filter(payee_type=kind, active=True, verified=True)
    payee = qs.filter(name=name).first() if name else None
    if payee is None:
        candidates = list(qs[:2])
        if len(candidates) == 1 and (kind == PayeeKind.TAX or not name):
            payee = candidates[0]  # the one tax account (or the only payee of that kind)
    return payee


def _account_for(instruction: PaymentInstruction) -> dict:
    """The payee's current verified account (plain values, decrypted number)."""
    from dealers.selectors import dealer_can_receive_funds, dealer_settlement_account

    if instruction.payee_kind == PayeeKind.DEALER:
        account = dealer_settlement_account(dealer_id=instruction.payee_dealer_id)
        if account is None or not dealer_can_receive_funds(instruction.payee_dealer_id):
            raise DisbursementError(
                _("经销商没有已核验的结算账户或当前不可收款：%(name)s")
                % {"name": instruction.payee_name},
                code="no_account",
            )
        return account
    payee = Payee.objects.filter(pk=instruction.payee_id, active=True, verified=True).first()
    if payee is None:
        raise DisbursementError(
            _("收款方未登记或未核验：%(name)s") % {"name": instruction.payee_name},
            code="no_account",
        )
    return payee_account(payee=payee)


# --- prepare (maker) ---------------------------------------------------------------------------


def _seller_dealer_id(name: str) -> int | None:
    """A direct-channel contract names the car's seller (origination's car payee) but has no
    dealer: the seller is paid only if it is a registered dealer of exactly that legal name
    (its verified settlement account comes from the dealers app, as for the dealer channel)."""
    from dealers.models.dealers import Dealer

    name = (name or "").strip()
    ids = list(Dealer.objects.filter(legal_name=name).values_list("pk", flat=True)[:2])
    return ids[0] if name and len(ids) == 1 else None


def split_build(*, facts: dict) -> list[dict]:
    """The payment split from the contract's payees; refuses a split that does not sum EXACTLY
    to the amount financed (to the fen) or a payee without verified master data."""
    amount_financed = to_decimal(facts["amount_financed"])
    parts = []
    for n, p in enumerate(facts.get("payees") or [], start=1):
        kind = PAYEE_TYPE_KIND.get(str(p.get("payee_type")))
        if kind is None:
            raise DisbursementError(
                _("第 %(n)d 个收款方类型无效：%(t)s") % {"n": n, "t": p.get("payee_type")},
                field="payees",
            )
        amount = to_decimal(p["amount"])
        if amount <= 0 or amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            raise DisbursementError(
                _("第 %(n)d 个收款方金额无效：%(a)s") % {"n": n, "a": amount}, field="payees"
            )
        part = {
            "seq": n,
            "payee_kind": kind,
            "payee_name": str(p.get("name") or "")[:200],
            "item_kind": str(p.get("item") or "")[:20],
            "amount": amount,
            "payee_id": None,
            "payee_dealer_id": None,
        }
        if kind == PayeeKind.DEALER:
            dealer_id = facts.get("dealer_id") or _seller_dealer_id(part["payee_name"])
            if not dealer_id:
                raise DisbursementError(
                    _("收款方未在登记簿中核验：%(kind)s %(name)s")
                    % {"kind": PayeeKind(kind).label, "name": part["payee_name"]},
                    field="payees",
                    code="no_account",
                )
            part["payee_dealer_id"] = dealer_id
        elif kind == PayeeKind.LENDER:
            part["payee_name"] = part["payee_name"] or _("本公司")
        else:
            payee = _register_payee(kind, part["payee_name"])
            if payee is None:
                raise DisbursementError(
                    _("收款方未在登记簿中核验：%(kind)s %(name)s")
                    % {"kind": PayeeKind(kind).label, "name": part["payee_name"]},
                    field="payees",
                    code="no_account",
                )
            part["payee_id"] = payee.pk
            part["payee_name"] = part["payee_name"] or payee.name
        parts.append(part)
    if not parts:
        raise DisbursementError(_("合同没有收款方。"), field="payees")
    total = sum((p["amount"] for p in parts), ZERO)
    if total != amount_financed:
        raise DisbursementError(
            _("付款拆分合计 %(total)s 与融资额 %(amount)s 不一致，不能创建放款。")
            % {"total": total, "amount": amount_financed},
            field="payees",
            code="split_mismatch",
        )
    return parts


def disbursement_prepare(*, contract_id: int, actor: Any) -> Disbursement:
    """The maker prepares the disbursement of a signed, ready contract (idempotent per contract)."""
    existing = Disbursement.objects.filter(contract_id=contract_id).first()
    if existing is not None:
        return existing
    facts = contract_facts_load(contract_id=contract_id)
    if facts.get("status") not in (None, "signed"):
        raise DisbursementError(_("合同尚未签署，不能放款。"), code="not_signed")
    checklist = facts.get("checklist") or {}
    if checklist and not checklist.get("ready"):
        raise DisbursementError(_("放款前检查清单尚未完成。"), code="checklist")
    return disbursement_create(facts=facts, actor=actor)


def disbursement_create(*, facts: dict, actor: Any) -> Disbursement:
    """Create the disbursement and its instructions from a contract's facts (plain values, as
    contract_for_funding gives them). Idempotent per contract."""
    if not user_has_role(actor, Role.FINANCE_OPERATOR):
        raise DisbursementError(_("只有财务经办可以发起放款。"), code="forbidden")
    existing = Disbursement.objects.filter(contract_id=facts["contract_id"]).first()
    if existing is not None:
        return existing
    amount = quantize_fen(facts["amount_financed"])
    if amount <= 0:
        raise DisbursementError(_("融资额必须大于零。"), field="amount_financed")
    parts = split_build(facts=facts)
    for part in parts:  # every payee must have a verified account now (fail early)
        _account_for(
            PaymentInstruction(
                payee_kind=part["payee_kind"],
                payee_id=part["payee_id"],
                payee_dealer_id=part["payee_dealer_id"],
                payee_name=part["payee_name"],
            )
        ) if part["payee_kind"] != PayeeKind.LENDER else None
    try:
        with transaction.atomic():
            d = Disbursement.objects.create(
                contract_id=facts["contract_id"],
                contract_ref=facts["contract_ref"],
                application_id=facts.get("application_id"),
                dealer_id=facts.get("dealer_id"),
                customer_name=str(facts.get("customer_name") or "")[:100],
                amount_financed=amount,
                contract_facts=_jsonable(facts),
                needs_two_approvers=amount > dual_approval_threshold(),
                prepared_by=actor,
            )
            PaymentInstruction.objects.bulk_create(
                [
                    PaymentInstruction(
                        disbursement=d,
                        seq=p["seq"],
                        payee_kind=p["payee_kind"],
                        payee_id=p["payee_id"],
                        payee_dealer_id=p["payee_dealer_id"],
                        payee_name=p["payee_name"],
                        item_kind=p["item_kind"],
                        amount=p["amount"],
                    )
                    for p in parts
                ]
            )
            audit_record(
                actor=actor,
                obj=d,
                action="disbursement_prepare",
                to_state=DS.PREPARED,
                data={
                    "amount_financed": str(amount),
                    "split": [[p["payee_kind"], str(p["amount"])] for p in parts],
                },
            )
    except IntegrityError:
        existing = Disbursement.objects.filter(contract_id=facts["contract_id"]).first()
        if existing is None:
            raise
        return existing
    return d


# --- approve and release (checker) -------------------------------------------------------------


def _lock(disbursement_id: int) -> tuple[Disbursement, list[PaymentInstruction]]:
    d = Disbursement.objects.select_for_update().get(pk=disbursement_id)
    instructions = list(
        PaymentInstruction.objects.filter(disbursement_id=d.pk).order_by("pk").select_for_update()
    )
    return d, instructions


def disbursement_approve(*, disbursement_id: int, actor: Any) -> Disbursement:
    """A finance approver (not the maker) approves; the last needed approval releases the
    payments. Concurrent calls serialise on the row lock: one release, the other refused."""
    if not user_has_role(actor, Role.FINANCE_APPROVER):
        raise DisbursementError(_("只有财务复核可以复核放款。"), code="forbidden")
    with transaction.atomic():
        d, instructions = _lock(disbursement_id)
        if d.status not in (DS.PREPARED, DS.AWAITING_SECOND):
            raise DisbursementError(_("该放款已放行，不能重复复核。"), code="not_pending")
        if d.prepared_by_id == actor.pk:
            raise DisbursementError(
                _("复核人不能是经办人本人：放款需由另一位同事复核。"), code="same_user"
            )
        if d.status == DS.PREPARED:
            d.approved_by = actor
            if d.needs_two_approvers:
                d.status = DS.AWAITING_SECOND
                d.save(update_fields=["approved_by", "status"])
                audit_record(
                    actor=actor,
                    obj=d,
                    action="disbursement_approve",
                    from_state=DS.PREPARED,
                    to_state=DS.AWAITING_SECOND,
                    data={"threshold": str(dual_approval_threshold())},
                )
                return d
        else:
            if d.approved_by_id == actor.pk:
                raise DisbursementError(
                    _("超过限额的放款需要两位不同的复核人。"), code="same_approver"
                )
            d.second_approved_by = actor
        _release(d, instructions, actor=actor)
    return d


def _release(d: Disbursement, instructions: list[PaymentInstruction], *, actor: Any) -> None:
    total = sum((i.amount for i in instructions), ZERO)
    if total != d.amount_financed:  # the service's check at release (the DB checks at commit)
        raise DisbursementError(
            _("付款拆分合计 %(total)s 与融资额 %(amount)s 不一致，不能放行。")
            % {"total": total, "amount": d.amount_financed},
            code="split_mismatch",
        )
    old = d.status
    d.status = DS.RELEASED
    d.released_at = timezone.now()
    d.save(update_fields=["status", "approved_by", "second_approved_by", "released_at"])
    business_date = business_date_for_posting()
    attempt_ids = []
    for instruction in instructions:
        if instruction.payee_kind == PayeeKind.LENDER:
            # kept by the lender: settled internally, recognised as fee income at funding
            instruction.status = S.SUCCEEDED
            instruction.succeeded_at = timezone.now()
            instruction.account_name = instruction.payee_name
            instruction.save(update_fields=["status", "succeeded_at", "account_name", "updated_at"])
            continue
        attempt_ids.append(
            _attempt_create(instruction, actor=actor, business_date=business_date).pk
        )
    audit_record(
        actor=actor,
        obj=d,
        action="disbursement_release",
        from_state=old,
        to_state=DS.RELEASED,
        data={"attempts": attempt_ids},
    )
    if not attempt_ids:
        _fund(d, instructions, actor=actor)
    _dispatch("disbursement_attempt_send", attempt_ids)


def _attempt_create(
    instruction: PaymentInstruction, *, actor: Any, business_date: dt.date
) -> PaymentAttempt:
    """A new attempt with a NEW idempotency key, to the payee's current verified account.
    The caller holds the instruction's lock."""
    account = _account_for(instruction)
    n = instruction.attempt_count + 1
    attempt = PaymentAttempt.objects.create(
        instruction=instruction,
        attempt_no=n,
        idempotency_key=f"D{instruction.disbursement_id}-I{instruction.pk}-A{n}-"
        f"{uuid.uuid4().hex[:10]}",
        amount=instruction.amount,
        account_name=account["account_name"],
        bank_name=account["bank_name"],
        account_number_enc=encrypt(account["account_number"]),
        account_number_masked=account["account_number_masked"],
        status=S.PENDING,
        business_date=business_date,
        created_by_label=_label(actor),
    )
    old = instruction.status
    instruction.status = S.PENDING
    instruction.attempt_count = n
    instruction.account_name = account["account_name"]
    instruction.bank_name = account["bank_name"]
    instruction.account_number_masked = account["account_number_masked"]
    instruction.failure_reason = ""
    instruction.save()
    audit_record(
        actor=actor,
        obj=instruction,
        action="payment_attempt_create",
        from_state=old,
        to_state=S.PENDING,
        data={
            "attempt_no": n,
            "key": attempt.idempotency_key,
            "account": attempt.account_number_masked,
        },
    )
    return attempt


def instruction_retry(*, instruction_id: int, actor: Any) -> PaymentAttempt:
    """Retry a FAILED instruction with a new attempt and a new key, to the payee's current
    verified account (corrected through the payee register or the dealer's account change).
    The failed attempt keeps its key."""
    if not user_has_role(actor, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
        raise DisbursementError(_("只有财务人员可以重新付款。"), code="forbidden")
    with transaction.atomic():
        d_id = PaymentInstruction.objects.values_list("disbursement_id", flat=True).get(
            pk=instruction_id
        )
        d, instructions = _lock(d_id)
        instruction = next(i for i in instructions if i.pk == instruction_id)
        if instruction.status != S.FAILED:
            raise DisbursementError(
                _("只有付款失败的指令可以重新付款（当前：%(s)s）。")
                % {"s": instruction.get_status_display()},
                code="not_failed",
            )
        attempt = _attempt_create(
            instruction, actor=actor, business_date=business_date_for_posting()
        )
        _dispatch("disbursement_attempt_send", [attempt.pk])
    return attempt


# --- sending -----------------------------------------------------------------------------------


def _lock_attempt(attempt_id: int) -> tuple[PaymentInstruction, PaymentAttempt]:
    instruction_id = PaymentAttempt.objects.values_list("instruction_id", flat=True).get(
        pk=attempt_id
    )
    instruction = PaymentInstruction.objects.select_for_update().get(pk=instruction_id)
    attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
    return instruction, attempt


def _set_status(instruction: PaymentInstruction, attempt: PaymentAttempt, status: str, *,
                actor: Any, reason: str = "", **fields) -> None:  # fmt: skip
    old = attempt.status
    attempt.status = status
    for k, v in fields.items():
        setattr(attempt, k, v)
    attempt.save()
    instruction.status = status
    if status == S.FAILED:
        instruction.failure_reason = reason[:255]
    if status == S.SUCCEEDED:
        instruction.succeeded_at = timezone.now()
    instruction.save()
    audit_record(
        actor=actor,
        obj=instruction,
        action="payment_status",
        from_state=old,
        to_state=status,
        reason=reason,
        data={"key": attempt.idempotency_key, "bank_ref": attempt.bank_ref},
    )


def attempt_send(*, attempt_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send one attempt to the bank under its key (the Celery task's body). Safe to run twice
    or after a crash: a resend under the same key is deduped by the bank."""
    gateway = gateway or payment_gateway()
    with transaction.atomic():
        instruction, attempt = _lock_attempt(attempt_id)
        if attempt.status not in (S.PENDING, S.SENDING, S.UNKNOWN):
            return attempt.status
        if attempt.status == S.PENDING:
            _set_status(instruction, attempt, S.SENDING, actor=SYSTEM_ACTOR)
        attempt.sends += 1
        attempt.sent_at = timezone.now()
        attempt.save(update_fields=["sends", "sent_at"])
        request = {
            "idempotency_key": attempt.idempotency_key,
            "amount": attempt.amount,
            "account_number": decrypt(attempt.account_number_enc),
            "account_name": attempt.account_name,
            "bank_name": attempt.bank_name,
            "reference": f"{instruction.disbursement_id}/{instruction.seq} {instruction.payee_name}",
            "requested_date": attempt.business_date,
        }
    # "sending" is committed; no lock is held while the bank is called.
    try:
        result = gateway.send(**request)
    except GatewayTimeout as exc:
        return attempt_record_send(attempt_id=attempt_id, outcome="timeout", error=str(exc))
    except GatewayRejected as exc:
        return attempt_record_send(attempt_id=attempt_id, outcome="rejected", error=str(exc))
    return attempt_record_send(attempt_id=attempt_id, outcome="accepted", result=result)


def attempt_record_send(
    *, attempt_id: int, outcome: str, result: BankResult | None = None, error: str = ""
) -> str:
    """Record what the bank answered to a send. Never moves a settled attempt back."""
    if outcome == "rejected":
        return _settle(attempt_id=attempt_id, status=S.FAILED, reason=error[:255], source="send")[0]
    with transaction.atomic():
        instruction, attempt = _lock_attempt(attempt_id)
        if attempt.status not in (S.SENDING, S.UNKNOWN, S.PENDING):
            return attempt.status  # a callback got here first, or already recorded
        if outcome == "accepted":
            _set_status(
                instruction, attempt, S.SENT, actor=SYSTEM_ACTOR, bank_ref=result.bank_ref, error=""
            )
        else:
            _set_status(instruction, attempt, S.UNKNOWN, actor=SYSTEM_ACTOR, error=error[:255])
        return attempt.status


def attempt_recover(*, attempt_id: int, gateway: PaymentGateway | None = None) -> str:
    """Settle an attempt whose fate we do not know (sending after a crash, unknown after a
    timeout, sent without a callback): ask the bank by key first; if the bank never saw it,
    send again under the SAME key."""
    gateway = gateway or payment_gateway()
    attempt = PaymentAttempt.objects.get(pk=attempt_id)
    if attempt.status in FINAL:
        return attempt.status
    if attempt.status == S.PENDING:
        return attempt_send(attempt_id=attempt_id, gateway=gateway)
    answer = gateway.status(idempotency_key=attempt.idempotency_key)
    PaymentAttempt.objects.filter(pk=attempt_id).update(status_queries=attempt.status_queries + 1)
    if answer.status in ("succeeded", "failed"):
        return _settle(
            attempt_id=attempt_id,
            status=answer.status,
            bank_ref=answer.bank_ref,
            amount=answer.amount,
            reason=answer.reason,
            source="status",
        )[0]
    if answer.status == "not_found":
        return attempt_send(attempt_id=attempt_id, gateway=gateway)
    return attempt.status


def attempts_to_recover(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        PaymentAttempt.objects.filter(
            Q(status__in=[S.SENDING, S.UNKNOWN, S.SENT], sent_at__lt=cutoff)
            | Q(status=S.PENDING, created_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )


# --- the bank's answer: callbacks and status ----------------------------------------------------


def bank_callback_receive(*, payload: dict) -> dict:
    """The bank's asynchronous result for one key, already verified (the gateway's
    callback_verify checked its signature with the bank's secret). Idempotent: a second
    delivery changes nothing. Returns {"result": "recorded" | "duplicate" | "unknown_key",
    "status": ...}."""
    key = str(payload.get("idempotency_key", ""))
    attempt = PaymentAttempt.objects.filter(idempotency_key=key).only("pk", "status").first()
    if attempt is None:
        log.warning("bank callback for unknown key %s", key)
        return {"result": "unknown_key", "status": None}
    status = str(payload.get("status"))
    if status not in ("succeeded", "failed"):
        raise DisbursementError(_("银行回调状态无效。"), code="bad_status")
    after, changed = _settle(
        attempt_id=attempt.pk,
        status=status,
        bank_ref=str(payload.get("bank_ref", "")),
        amount=to_decimal(payload.get("amount")),
        reason=str(payload.get("reason", "")),
        source="callback",
    )
    return {"result": "recorded" if changed else "duplicate", "status": str(after)}


def _settle(
    *,
    attempt_id: int,
    status: str,
    bank_ref: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    source: str,
) -> tuple[str, bool]:
    """Record a final bank result (succeeded / failed) once; post the payment; fund when the
    last instruction succeeded. Locks: disbursement, its instructions by pk, the attempt.
    Returns (the attempt's status, whether this call changed it)."""
    with transaction.atomic():
        d_id = PaymentInstruction.objects.values_list("disbursement_id", flat=True).get(
            attempts__pk=attempt_id
        )
        d, instructions = _lock(d_id)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        instruction = next(i for i in instructions if i.pk == attempt.instruction_id)
        if attempt.status in FINAL:
            if attempt.status != status:
                log.error("bank says %s for %s, recorded %s", status, attempt, attempt.status)
            return attempt.status, False
        if amount is not None and quantize_fen(amount) != attempt.amount:
            raise DisbursementError(
                _("银行金额 %(bank)s 与付款金额 %(ours)s 不符。")
                % {"bank": amount, "ours": attempt.amount},
                code="amount_mismatch",
            )
        fields = {"finished_at": timezone.now()}
        if bank_ref:
            fields["bank_ref"] = bank_ref[:64]
        if status == S.SUCCEEDED:
            entry = journal_post(
                business_date=business_date_for_posting(),
                source_type=SourceType.DISBURSEMENT,
                source_id=d.pk,
                lines=[
                    (PAYABLE[instruction.payee_kind], "D", attempt.amount),
                    (AccountCode.BANK_CLEARING, "C", attempt.amount),
                ],
                idempotency_key=f"disb-pay:{attempt.idempotency_key}",
                description=_("放款付款 %(ref)s %(payee)s")
                % {"ref": d.contract_ref, "payee": instruction.payee_name},
                actor=SYSTEM_ACTOR,
            )
            fields["journal_entry_id"] = entry.pk
            _set_status(instruction, attempt, S.SUCCEEDED, actor=f"bank:{source}", **fields)
            if all(i.status == S.SUCCEEDED for i in instructions):
                _fund_guarded(d, instructions)
        else:
            fields["error"] = reason[:255]
            _set_status(
                instruction, attempt, S.FAILED, actor=f"bank:{source}", reason=reason, **fields
            )
        return attempt.status, True


# --- funding -----------------------------------------------------------------------------------


def _fund_guarded(d: Disbursement, instructions: list[PaymentInstruction]) -> None:
    """Fund inside a savepoint: if funding fails (a loan or origination error), the payment
    stays recorded and the recovery task retries the funding (disbursements_fundable)."""
    try:
        with transaction.atomic():
            _fund(d, instructions, actor=SYSTEM_ACTOR)
    except Exception:
        log.exception("funding of disbursement %s failed; left for the recovery task", d.pk)
        d.refresh_from_db()


def disbursement_fund(*, disbursement_id: int, actor: Any = SYSTEM_ACTOR) -> Disbursement:
    """Fund a released disbursement whose instructions all succeeded (idempotent; normally
    called when the last payment succeeds)."""
    with transaction.atomic():
        d, instructions = _lock(disbursement_id)
        _fund(d, instructions, actor=actor)
    return d


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _fund(d: Disbursement, instructions: list[PaymentInstruction], *, actor: Any) -> None:
    from servicing.services.loans import loan_create

    if d.status == DS.FUNDED or d.status != DS.RELEASED:
        return
    if not all(i.status == S.SUCCEEDED for i in instructions):
        return
    facts = d.contract_facts
    business_date = business_date_for_posting()
    now = timezone.now()
    hint = _date(facts.get("value_date_hint"))
    collateral = dict(facts.get("collateral") or {})
    vehicle = " ".join(str(collateral.pop(k, "") or "") for k in ("brand", "model")).strip()
    collateral.setdefault("vehicle", vehicle)
    signed = facts
    if signed.get("penalty_rate") in (None, "") or "fee_per_instalment" not in signed:
        # prepared before the facts carried these figures: read them from the signed contract
        signed = contract_facts_load(contract_id=d.contract_id)
    # The schedule is the contract's when funded on its value date; on another day the same
    # terms are re-dated to the funding date (no row of the contract can be kept then).
    on_contract_date = hint == business_date
    loan = loan_create(
        contract_ref=d.contract_ref,
        application_id=d.application_id,
        customer_user_id=facts["customer_user_id"],
        product_version_id=facts.get("product_version_id"),
        product_rules=facts.get("product_rules") or {},
        amount_financed=d.amount_financed,
        annual_rate=facts.get("lender_rate") or facts.get("annual_rate") or facts["customer_rate"],
        customer_rate=facts.get("customer_rate"),
        penalty_rate=signed["penalty_rate"],
        contract_schedule=(facts.get("schedule") or None) if on_contract_date else None,
        term_months=int(facts["term_months"]),
        method=facts["method"],
        value_date=business_date,
        # no first due date forced: from the contract's own value date the engine gives the
        # contract's dates (a forced 28 Feb after 31 Jan would move every later due date to the 28th)
        first_due_date=None,
        day_count=facts.get("day_count") or "30/360",
        balloon_amount=facts.get("balloon_amount") or ZERO,
        fee_per_instalment=signed.get("fee_per_instalment") or ZERO,
        fees=facts.get("fees") or [],
        payees=facts.get("payees") or [],
        collateral={
            k: v
            for k, v in collateral.items()
            if k
            in (
                "vehicle",
                "vin",
                "plate",
                "mortgage_status",
                "mortgage_deadline",
                "gps_status",
                "gps_deadline",
            )
        },  # fmt: skip
        dealer_id=d.dealer_id,
        rate_link=facts.get("rate_link"),
        business_date=business_date,
        actor=actor,
    )
    credits: dict[str, Decimal] = {}
    for i in instructions:
        code = PAYABLE[i.payee_kind]
        credits[code] = credits.get(code, ZERO) + i.amount
    journal_post(
        business_date=business_date,
        source_type=SourceType.DISBURSEMENT,
        source_id=d.pk,
        lines=[(AccountCode.PRINCIPAL_RECEIVABLE, "D", d.amount_financed, loan.pk)]
        + [(code, "C", amount, loan.pk) for code, amount in credits.items()],
        idempotency_key=f"disb-fund:{d.pk}",
        description=_("放款 %(ref)s") % {"ref": d.contract_ref},
        actor=actor,
        loan_id=loan.pk,
    )
    if d.application_id:
        from origination.services.contracts.funding import application_mark_funded

        application_mark_funded(application_id=d.application_id, funded_at=now, actor=actor)
    if d.dealer_id:
        _commission(d, business_date=business_date, product_line=facts.get("product_line"))
    d.status = DS.FUNDED
    d.funded_at = now
    d.funded_on = business_date
    d.loan_id = loan.pk
    d.save(update_fields=["status", "funded_at", "funded_on", "loan_id"])
    audit_record(
        actor=actor,
        obj=d,
        action="disbursement_fund",
        from_state=DS.RELEASED,
        to_state=DS.FUNDED,
        data={"loan_id": loan.pk, "business_date": business_date.isoformat()},
    )
    _notify(d, loan_id=loan.pk)


def _commission(d: Disbursement, *, business_date: dt.date, product_line: str | None) -> None:
    from dealers.rules import DealerError
    from dealers.services import commission_accrue

    try:
        with transaction.atomic():
            commission_accrue(
                dealer=d.dealer_id,
                contract_ref=d.contract_ref,
                amount_financed=d.amount_financed,
                funded_on=business_date,
                product_line=product_line or "new",
            )
    except DealerError as exc:
        if getattr(exc, "code", "") != "no_agreement":
            raise
        # No agreement in force: funding goes ahead; the channel team sees why (audit row).
        audit_record(
            actor=SYSTEM_ACTOR,
            obj=d,
            action="commission_not_accrued",
            reason=str(exc),
            data={"dealer_id": d.dealer_id},
        )


def _notify(d: Disbursement, *, loan_id: int) -> None:
    from autofin.models import User
    from dealers.models.dealers import Dealer

    amount = f"{d.amount_financed:,.2f}"
    customer = (
        User.objects.filter(pk=d.contract_facts.get("customer_user_id"))
        .values("phone", "email")
        .first()
    )
    if customer and (customer["phone"] or customer["email"]):
        channel, to = (
            ("sms", customer["phone"]) if customer["phone"] else ("email", customer["email"])
        )
        notification_send(
            channel=channel,
            to=to,
            subject=_("放款成功"),
            body=_("您的合同 %(ref)s 已放款，融资额 ¥%(amount)s，请按还款计划按时还款。")
            % {"ref": d.contract_ref, "amount": amount},
            purpose="disbursement_funded",
            dedupe_key=f"disbursement:{d.pk}:funded:customer",
        )
    if d.dealer_id:
        phone = (
            Dealer.objects.filter(pk=d.dealer_id).values_list("contact_phone", flat=True).first()
        )
        if phone:
            notification_send(
                channel="sms",
                to=phone,
                body=_("合同 %(ref)s（%(name)s）已放款，车款已付至贵司结算账户。")
                % {"ref": d.contract_ref, "name": d.customer_name},
                purpose="disbursement_funded_dealer",
                dedupe_key=f"disbursement:{d.pk}:funded:dealer",
            )


def disbursements_fundable() -> list[int]:
    """Released disbursements whose payments all succeeded but which are not funded (a funding
    that failed, e.g. a loan_create error, is retried by the recovery task)."""
    return list(
        Disbursement.objects.filter(status=DS.RELEASED)
        .exclude(instructions__status__in=[s for s in S.values if s != S.SUCCEEDED])
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
