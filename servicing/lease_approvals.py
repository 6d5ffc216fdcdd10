"""Servicing's four-eyes action for a lease (eot): the lessor absorbing the shortfall of a
returned car's sale below the residual, as the contract allows (money waived: maker-checker).
Maker and checker both need MoneyAction.LEASE_END_OF_TERM."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from autofin.approvals import (
    ApprovalError,
    Change,
    FourEyesAction,
    Submission,
    four_eyes_action_register,
    four_eyes_submit,
)
from autofin.money import format_cny
from autofin.roles import MoneyAction, can_move_money
from servicing.models.loans import Loan, LoanStatus
from servicing.services.leases.end_of_term import (
    LEASE_SHORTFALL_ABSORB,
    lease_shortfall_absorb,
    residual_shortfall,
)
from servicing.services.loans.account import LoanError


def _describe(loan: Loan, payload: dict) -> list[Change]:
    loan = Loan.objects.get(pk=loan.pk)
    return [
        Change(_("状态"), loan.get_status_display(), LoanStatus.CHARGED_OFF.label),
        Change(_("残值差额（出租人承担）"), format_cny(residual_shortfall(loan)), format_cny(0)),
        Change(_("原因"), "—", payload.get("reason", "")),
    ]


def _execute(*, actor, maker, target: Loan, payload: dict) -> Loan:
    try:
        return lease_shortfall_absorb(loan_id=target.pk, actor=actor, reason=payload["reason"])
    except LoanError as exc:
        raise ApprovalError(exc.message) from exc


def lease_shortfall_absorb_submit(*, loan_id: int, actor: Any, reason: str) -> Submission:
    """Ask a second person to approve the lessor absorbing the shortfall (or do it, four eyes
    off). Refused at once when the contract charges the shortfall to the customer."""
    if not (reason or "").strip():
        raise LoanError(_("请填写原因。"), field="reason")
    loan = Loan.objects.get(pk=loan_id)
    if (loan.product_rules or {}).get("residual_shortfall") != "lessor":
        raise LoanError(_("合同约定残值差额由承租人承担，不能由出租人承担。"))
    return four_eyes_submit(
        action=LEASE_SHORTFALL_ABSORB, actor=actor, target=loan,
        payload={"reason": reason.strip()}, reason=reason,
    )  # fmt: skip


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=LEASE_SHORTFALL_ABSORB,
            label=_("租赁残值差额由出租人承担"),
            policy_key="four_eyes.lease_shortfall_absorb",
            execute=_execute,
            authorised=lambda user, loan: can_move_money(user, MoneyAction.LEASE_END_OF_TERM),
            describe=_describe,
            url=lambda loan: reverse("servicing:loan_detail", kwargs={"loan_id": loan.pk}),
        )
    )
