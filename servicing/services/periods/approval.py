"""The period close's four-eyes action (autofin.approvals): a finance operator or approver
submits the close, which marks the period "closing"; another of them approves, which closes it.
Both must be allowed the money action `period_close` (autofin.roles)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
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
from autofin.roles import MoneyAction, can_move_money
from servicing.models.periods import AccountingPeriod, PeriodStatus
from servicing.services.periods.close import (
    PERIOD_CLOSE,
    PeriodError,
    period_close,
    period_close_check,
)


def _authorised(user, period: AccountingPeriod) -> bool:
    return can_move_money(user, MoneyAction.PERIOD_CLOSE)


def _describe(period: AccountingPeriod, payload: dict) -> list[Change]:
    period = AccountingPeriod.objects.get(pk=period.pk)
    return [
        Change(_("会计期间"), f"{period.month:%Y-%m}", f"{period.month:%Y-%m}"),
        Change(_("状态"), period.get_status_display(), PeriodStatus.CLOSED.label),
    ]


def _execute(*, actor, maker, target: AccountingPeriod, payload: dict) -> AccountingPeriod:
    try:
        return period_close(month=target.month, actor=actor)
    except PeriodError as exc:
        raise ApprovalError(str(exc)) from exc


def period_close_submit(*, month: dt.date, actor: Any) -> Submission:
    """Close now (four eyes off), or mark the period closing and ask a second finance person.
    The checklist is checked first: a close that would fail is not put before a checker."""
    if not can_move_money(actor, MoneyAction.PERIOD_CLOSE):
        raise PeriodError(_("您没有办理该操作的权限。"))
    period_close_check(month)
    with transaction.atomic():
        period, _created = AccountingPeriod.objects.select_for_update().get_or_create(month=month)
        submission = four_eyes_submit(
            action=PERIOD_CLOSE,
            actor=actor,
            target=period,
            payload={},
            reason=str(_("月末结账")),
        )
        if submission.pending:
            period.status = PeriodStatus.CLOSING
            period.close_requested_by = actor
            period.save(update_fields=["status", "close_requested_by"])
    return submission


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=PERIOD_CLOSE,
            label=_("月末结账"),
            policy_key="four_eyes.period_close",
            execute=_execute,
            authorised=_authorised,
            describe=_describe,
            url=lambda period: reverse(
                "servicing:period_detail",
                kwargs={"year": period.month.year, "month": period.month.month},
            ),
        )
    )
