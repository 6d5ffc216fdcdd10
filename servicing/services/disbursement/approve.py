"""Approving and releasing a disbursement (the checker; two different checkers above the
threshold): one payment attempt per instruction, sent after commit; and an operator's retry of
an instruction the bank confirmed failed (a NEW attempt, a new key)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build, audit_record
from autofin.bulk import rows_update
from autofin.business_date import business_date_for_posting
from autofin.crypto import encrypt
from autofin.models import AuditEntry
from autofin.money import ZERO
from autofin.roles import Role, user_has_role
from servicing.models.disbursement import (
    Disbursement,
    PayeeKind,
    PaymentAttempt,
    PaymentInstruction,
)
from servicing.services.disbursement.aml_hold import aml_hold_check
from servicing.services.disbursement.create import (
    customer_card_required,
    dual_approval_threshold,
    instruction_accounts,
)
from servicing.services.disbursement.fund import disbursement_fund_locked
from servicing.services.disbursement.states import (
    DS,
    DisbursementError,
    S,
    actor_label,
    disbursement_lock,
)
from servicing.services.floorplan.retail import retail_payoff_settle
from servicing.services.outgoing import dispatch_after_commit


def disbursement_approve(*, disbursement_id: int, actor: Any) -> Disbursement:
    """A finance approver (not the maker) approves; the last needed approval releases the
    payments. Concurrent calls serialise on the row lock: one release, the other refused."""
    if not user_has_role(actor, Role.FINANCE_APPROVER):
        raise DisbursementError(_("只有财务复核可以复核放款。"), code="forbidden")
    with transaction.atomic():
        d, instructions = disbursement_lock(disbursement_id)
        if d.status not in (DS.PREPARED, DS.AWAITING_SECOND):
            raise DisbursementError(_("该放款已放行，不能重复复核。"), code="not_pending")
        if d.prepared_by_id == actor.pk:
            raise DisbursementError(
                _("复核人不能是经办人本人：放款需由另一位同事复核。"), code="same_user"
            )
        aml_hold_check((d.contract_facts or {}).get("application_ref"))
        if any(i.payee_kind == PayeeKind.CUSTOMER for i in instructions):
            customer_card_required(d.application_id)  # 售后回租: the card passed its check
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
    # a car still floor-planned by its dealer: the advance is settled out of the car price first
    instructions = retail_payoff_settle(d, instructions, actor=actor)
    to_pay = []
    for instruction in instructions:
        if instruction.status == S.SUCCEEDED:
            continue  # settled internally (the floor-plan payoff)
        if instruction.payee_kind == PayeeKind.LENDER:
            # kept by the lender: settled internally, recognised as fee income at funding
            instruction.status = S.SUCCEEDED
            instruction.succeeded_at = timezone.now()
            instruction.account_name = instruction.payee_name
            instruction.save(update_fields=["status", "succeeded_at", "account_name", "updated_at"])
            continue
        to_pay.append(instruction)
    attempts, audits = _attempts_create(to_pay, actor=actor, business_date=business_date)
    attempt_ids = [a.pk for a in attempts]
    # the release's audit row goes in the same INSERT as its attempts' rows
    audits.append(
        audit_entry_build(
            actor=actor,
            obj=d,
            action="disbursement_release",
            from_state=old,
            to_state=DS.RELEASED,
            data={"attempts": attempt_ids},
        )
    )
    AuditEntry.objects.bulk_create(audits)
    if not attempt_ids:
        disbursement_fund_locked(d, instructions, actor=actor)
    if attempt_ids:
        # one task for the release's payments: one bank call, its answers recorded together
        dispatch_after_commit(
            "servicing.tasks.disbursement.disbursement_attempts_send", [attempt_ids]
        )


def _attempts_create(
    instructions: list[PaymentInstruction], *, actor: Any, business_date: dt.date
) -> tuple[list[PaymentAttempt], list[AuditEntry]]:
    """A new attempt with a NEW idempotency key for each instruction, to the payee's current
    verified account: one INSERT of the attempts, one UPDATE of the instructions. Returns the
    attempts and their audit rows, NOT yet written: the caller inserts them with its own (one
    INSERT for a release). The caller holds the instructions' locks."""
    attempts, audits = [], []
    now = timezone.now()
    for instruction, account in zip(instructions, instruction_accounts(instructions), strict=True):
        n = instruction.attempt_count + 1
        attempts.append(
            PaymentAttempt(
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
                created_by_label=actor_label(actor),
            )
        )
        old = instruction.status
        instruction.status = S.PENDING
        instruction.attempt_count = n
        instruction.account_name = account["account_name"]
        instruction.bank_name = account["bank_name"]
        instruction.account_number_masked = account["account_number_masked"]
        instruction.failure_reason = ""
        instruction.updated_at = now
        audits.append(
            audit_entry_build(
                actor=actor,
                obj=instruction,
                action="payment_attempt_create",
                from_state=old,
                to_state=S.PENDING,
                data={
                    "attempt_no": n,
                    "key": attempts[-1].idempotency_key,
                    "account": attempts[-1].account_number_masked,
                },
            )
        )
    PaymentAttempt.objects.bulk_create(attempts)
    rows_update(
        instructions,
        ["status", "attempt_count", "account_name", "bank_name", "account_number_masked",
         "failure_reason", "updated_at"],
    )  # fmt: skip
    return attempts, audits


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
        d, instructions = disbursement_lock(d_id)
        instruction = next(i for i in instructions if i.pk == instruction_id)
        if instruction.status != S.FAILED:
            raise DisbursementError(
                _("只有付款失败的指令可以重新付款（当前：%(s)s）。")
                % {"s": instruction.get_status_display()},
                code="not_failed",
            )
        [attempt], audits = _attempts_create(
            [instruction], actor=actor, business_date=business_date_for_posting()
        )
        AuditEntry.objects.bulk_create(audits)
        dispatch_after_commit(
            "servicing.tasks.disbursement.disbursement_attempt_send", [attempt.pk]
        )
    return attempt
