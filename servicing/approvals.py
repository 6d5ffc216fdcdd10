"""Servicing's four-eyes action (autofin.approvals): restructuring a loan (展期 / 重组).

The maker's terms (new term, rate, first due date, reason) are stored; the checker sees the loan
as it stands now against those terms, and approving restructures it on that business date.
Both need the permission servicing.restructure_loan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
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
from servicing.models.loans import Loan, LoanStatus, RowStatus
from servicing.services.loans.account import LoanError
from servicing.services.settlement.restructure import loan_restructure

LOAN_RESTRUCTURE = "loan_restructure"


def _authorised(user, loan: Loan) -> bool:
    return user.has_perm("servicing.restructure_loan")


def _describe(loan: Loan, payload: dict) -> list[Change]:
    loan = Loan.objects.get(pk=loan.pk)
    unpaid = (
        loan.schedule_rows_of_version(loan.schedule_version).exclude(status=RowStatus.PAID).count()
    )
    rate = payload.get("annual_rate")
    first_due = payload.get("first_due_date")
    return [
        Change(_("状态"), loan.get_status_display(), LoanStatus.RESTRUCTURED.label),
        Change(_("剩余期数"), unpaid, payload["term_months"]),
        Change(
            _("执行年利率"), loan.schedule_rate, loan.schedule_rate if rate in (None, "") else rate
        ),
        Change(
            _("未还本金"),
            format_cny(loan.principal_outstanding),
            gettext("未还本金 + 批准当日的欠息、费用、罚息（转为本金）"),
        ),
        Change(_("首期还款日"), "—", first_due or gettext("批准日一个月后")),
        Change(_("重组原因"), "—", payload.get("reason", "")),
    ]


def _execute(*, actor, maker, target: Loan, payload: dict) -> Loan:
    first_due = payload.get("first_due_date")
    try:
        return loan_restructure(
            loan_id=target.pk,
            term_months=int(payload["term_months"]),
            annual_rate=payload.get("annual_rate"),
            first_due_date=dt.date.fromisoformat(first_due) if first_due else None,
            reason=payload["reason"],
            actor=actor,
        )
    except LoanError as exc:
        raise ApprovalError(exc.message) from exc


def loan_restructure_submit(
    *,
    loan_id: int,
    term_months: int,
    actor: Any,
    reason: str,
    annual_rate: Decimal | str | None = None,
    first_due_date: dt.date | None = None,
) -> Submission:
    """Restructure now, or (four eyes on) ask a second authorised person to approve the terms."""
    if not (reason or "").strip():
        raise LoanError(_("请填写重组原因。"), field="reason")
    loan = Loan.objects.get(pk=loan_id)
    return four_eyes_submit(
        action=LOAN_RESTRUCTURE,
        actor=actor,
        target=loan,
        payload={
            "term_months": int(term_months),
            "annual_rate": None if annual_rate in (None, "") else str(annual_rate),
            "first_due_date": first_due_date.isoformat() if first_due_date else None,
            "reason": reason.strip(),
        },
        reason=reason,
    )


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=LOAN_RESTRUCTURE,
            label=_("贷款重组"),
            policy_key="four_eyes.loan_restructure",
            execute=_execute,
            authorised=_authorised,
            describe=_describe,
            url=lambda loan: reverse("servicing:loan_detail", kwargs={"loan_id": loan.pk}),
        )
    )
