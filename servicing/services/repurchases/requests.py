"""A repurchase asked of a dealer and decided: a finance maker requests it on its ground, a
checker who is not the maker approves it (the loan closes as repurchased at its outstanding
balance on the ledger that day, moved to the dealer's recourse receivable, its allowance
released, and, when so asked, set against the dealer's deposit) or rejects it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO
from autofin.policy import policy_value
from autofin.roles import MoneyAction, can_move_money
from dealers.models.commissions import Agreement
from dealers.selectors import dealer_summary
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow, LoanStatus
from servicing.models.repurchases import (
    Repurchase,
    RepurchaseGround,
    RepurchaseSettlement,
    RepurchaseStatus,
)
from servicing.selectors.ledger import loan_balances
from servicing.selectors.provisions import loan_allowance
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError, loan_lock
from servicing.services.loans.status import loan_status_set
from servicing.services.repurchases.collections import repurchase_deposit_set_off
from servicing.services.settlement.shared import accrual_catch_up

FPD_POLICY = "servicing.recourse_fpd_days"
# What the dealer buys back: the loan's receivables, each cleared on the ledger.
RECEIVABLES = (
    ("principal", A.PRINCIPAL_RECEIVABLE),
    ("interest", A.INTEREST_RECEIVABLE),
    ("fee", A.FEE_RECEIVABLE),
    ("penalty", A.PENALTY_RECEIVABLE),
)


class RepurchaseError(LoanError):
    """A repurchase action refused, nothing written; `field` names a form field."""


def _loan_refusal(loan: Loan, dealer_id: int) -> str | None:
    if loan.dealer_id != dealer_id:
        return _("该贷款不是此经销商推荐的，不能要求其回购。")
    if loan.status in CLOSED_STATUSES:
        return _("贷款已结清、核销或已回购，不能回购。")
    if loan.suspense_balance > 0:
        return _("该贷款有溢缴款，请先退还或冲抵后再办理回购。")
    return None


def fpd_liable(*, loan: Loan, on: dt.date) -> bool:
    """The dealer's agreement in force when the loan was funded carries recourse, and the
    loan's first instalment is still unpaid the policy's days after it fell due."""
    covered = (
        Agreement.objects.filter(
            dealer_id=loan.dealer_id, recourse_fpd=True, effective_from__lte=loan.value_date
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=loan.value_date))
        .exists()
    )
    if not covered:
        return False
    days = int(policy_value(FPD_POLICY, on=on))
    first = (
        LoanScheduleRow.objects.filter(loan=loan, superseded_by_version__isnull=True)
        .order_by("instalment_no")
        .first()
    )
    return (
        first is not None
        and first.instalment_no == 1
        and first.amount_unpaid > 0
        and first.due_date + dt.timedelta(days=days) <= on
    )


def repurchase_request(
    *, loan_id: int, dealer_id: int, ground: str, settlement: str, evidence: str, actor: Any
) -> Repurchase:
    """Ask the dealer to buy the loan back. Refused (RepurchaseError, nothing written) when the
    loan is not the dealer's, closed, has a live request, or the ground does not hold."""
    if not can_move_money(actor, MoneyAction.REPURCHASE_REQUEST):
        raise RepurchaseError(_("您没有发起经销商回购的权限。"), code="forbidden")
    if ground not in RepurchaseGround.values:
        raise RepurchaseError(_("请选择回购原因。"), field="ground")
    if settlement not in RepurchaseSettlement.values:
        raise RepurchaseError(_("请选择结算方式。"), field="settlement")
    evidence = (evidence or "").strip()
    if ground == RepurchaseGround.FRAUD and not evidence:
        raise RepurchaseError(_("欺诈回购须写明已证实的欺诈依据。"), field="evidence")
    on = business_date_for_posting()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
        if loan is None:
            raise RepurchaseError(_("贷款不存在。"), field="contract_ref")
        problem = _loan_refusal(loan, dealer_id)
        if problem:
            raise RepurchaseError(problem, field="contract_ref")
        if Repurchase.objects.filter(loan=loan).exclude(status=RepurchaseStatus.REJECTED).exists():
            raise RepurchaseError(_("该贷款已有回购申请。"), field="contract_ref")
        if ground == RepurchaseGround.FIRST_PAYMENT_DEFAULT and not fpd_liable(loan=loan, on=on):
            raise RepurchaseError(
                _("不符合首期违约回购条件：协议未约定回购，或首期逾期未满 %(n)s 天。")
                % {"n": policy_value(FPD_POLICY, on=on)},
                field="ground",
            )
        repurchase = Repurchase.objects.create(
            loan=loan,
            dealer_id=dealer_id,
            dealer_name=dealer_summary(dealer_id=dealer_id)["legal_name"],
            contract_ref=loan.contract_ref,
            ground=ground,
            settlement=settlement,
            evidence=evidence,
            status=RepurchaseStatus.REQUESTED,
            requested_on=on,
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            obj=repurchase,
            action="repurchase_request",
            to_state=repurchase.status,
            data={"loan": loan.pk, "ground": ground, "settlement": settlement},
        )
    return repurchase


def _checker_lock(repurchase_id: int, actor: Any) -> tuple[Loan, list, Repurchase]:
    """Lock the loan, its rows, then the request (the loan paths' lock order)."""
    loan_id = Repurchase.objects.filter(pk=repurchase_id).values_list("loan_id", flat=True).first()
    if loan_id is None:
        raise RepurchaseError(_("回购申请不存在。"))
    loan, rows = loan_lock(loan_id=loan_id)
    repurchase = Repurchase.objects.select_for_update().get(pk=repurchase_id)
    if repurchase.status != RepurchaseStatus.REQUESTED:
        raise RepurchaseError(_("该回购申请已处理。"), code="done")
    if repurchase.requested_by_id == getattr(actor, "pk", None):
        raise RepurchaseError(
            _("复核人不能是经办人本人：回购需由另一位同事复核。"), code="same_user"
        )
    return loan, rows, repurchase


def _entry_lines(loan: Loan, repurchase: Repurchase) -> list[tuple]:
    """The receivables cleared against the dealer's recourse receivable, and the allowance
    released; fills the repurchase's figures."""
    balances = loan_balances(loan_id=loan.pk)
    lines: list[tuple] = []
    for field, code in RECEIVABLES:
        amount = balances.get(code, ZERO)
        setattr(repurchase, field, amount)
        if amount:
            lines.append((code, "C" if amount > 0 else "D", abs(amount), loan.pk))
    repurchase.amount = sum((getattr(repurchase, f) for f, _code in RECEIVABLES), ZERO)
    if repurchase.amount <= 0:
        raise RepurchaseError(_("该贷款已无未收回余额，无需回购。"))
    lines.append((A.RECOURSE_RECEIVABLE, "D", repurchase.amount, None, repurchase.dealer_id))
    released = loan_allowance(loan_id=loan.pk)
    if released > 0:
        lines.append((A.LOAN_LOSS_ALLOWANCE, "D", released, loan.pk))
        lines.append((A.IMPAIRMENT_EXPENSE, "C", released, loan.pk))
    repurchase.allowance_released = max(released, ZERO)
    return lines


def repurchase_approve(*, repurchase_id: int, actor: Any) -> Repurchase:
    """The checker's approval, the repurchase date: the loan's interest accrued to today, its
    receivables moved to the dealer, its allowance released, the loan closed as repurchased;
    with the deposit settlement, as much as the deposit holds is set against it."""
    if not can_move_money(actor, MoneyAction.REPURCHASE_APPROVE):
        raise RepurchaseError(_("您没有复核经销商回购的权限。"), code="forbidden")
    on = business_date_for_posting()
    with transaction.atomic():
        loan, rows, repurchase = _checker_lock(repurchase_id, actor)
        problem = _loan_refusal(loan, repurchase.dealer_id)
        if problem:
            raise RepurchaseError(problem)
        accrual_catch_up(loan=loan, rows=rows, through=on, business_date=on, actor=actor)
        lines = _entry_lines(loan, repurchase)
        entry = journal_post(
            business_date=on,
            source_type=SourceType.REPURCHASE,
            source_id=repurchase.pk,
            lines=lines,
            idempotency_key=f"repurchase:{repurchase.pk}",
            description=_("经销商回购 %(ref)s") % {"ref": loan.contract_ref},
            actor=actor,
            loan_id=loan.pk,
        )
        loan_status_set(
            loan=loan,
            to=LoanStatus.REPURCHASED,
            business_date=on,
            actor=actor,
            reason=_("经销商回购 #%(id)s") % {"id": repurchase.pk},
        )
        repurchase.status = RepurchaseStatus.DUE
        repurchase.closed_on = on
        repurchase.approved_by = actor
        repurchase.journal_entry_id = entry.pk
        repurchase.save()
        audit_record(
            actor=actor,
            obj=repurchase,
            action="repurchase_approve",
            from_state=RepurchaseStatus.REQUESTED,
            to_state=repurchase.status,
            data={"amount": str(repurchase.amount), "released": str(repurchase.allowance_released)},
        )
        if repurchase.settlement == RepurchaseSettlement.DEPOSIT:
            repurchase_deposit_set_off(repurchase=repurchase, on=on, actor=actor)
    return repurchase


def repurchase_reject(*, repurchase_id: int, actor: Any, reason: str) -> Repurchase:
    if not can_move_money(actor, MoneyAction.REPURCHASE_APPROVE):
        raise RepurchaseError(_("您没有复核经销商回购的权限。"), code="forbidden")
    if not (reason or "").strip():
        raise RepurchaseError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        _loan, _rows, repurchase = _checker_lock(repurchase_id, actor)
        repurchase.status = RepurchaseStatus.REJECTED
        repurchase.approved_by = actor
        repurchase.save(update_fields=["status", "approved_by", "updated_at"])
        audit_record(
            actor=actor,
            obj=repurchase,
            action="repurchase_reject",
            from_state=RepurchaseStatus.REQUESTED,
            to_state=repurchase.status,
            reason=reason,
        )
    return repurchase
