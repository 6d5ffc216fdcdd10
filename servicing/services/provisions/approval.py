"""The provision posting's four-eyes action (autofin.approvals): a finance operator or approver
submits the computed run; another of them approves, which posts it. Both must be allowed the
money action `provision_post` (autofin.roles)."""

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
from servicing.models.provisions import ProvisionRun
from servicing.selectors.ledger import account_balance
from servicing.services.provisions.parameters import ProvisionError
from servicing.services.provisions.post import PROVISION_POST, provision_run_post


def _authorised(user, run: ProvisionRun) -> bool:
    return can_move_money(user, MoneyAction.PROVISION_POST)


def _describe(run: ProvisionRun, payload: dict) -> list[Change]:
    run = ProvisionRun.objects.get(pk=run.pk)
    balance = account_balance(account_code="loan_loss_allowance")
    return [
        Change(_("月份"), f"{run.month:%Y-%m}", f"{run.month:%Y-%m}"),
        Change(_("贷款损失准备余额"), format_cny(balance), format_cny(run.ecl)),
        Change(_("状态"), run.get_status_display(), _("已过账")),
    ]


def _execute(*, actor, maker, target: ProvisionRun, payload: dict) -> ProvisionRun:
    try:
        return provision_run_post(run_id=target.pk, actor=actor)
    except ProvisionError as exc:
        raise ApprovalError(str(exc)) from exc


def provision_post_submit(*, run_id: int, actor: Any) -> Submission:
    """Post now, or (four eyes on) ask a second finance person to approve the posting."""
    return four_eyes_submit(
        action=PROVISION_POST,
        actor=actor,
        target=ProvisionRun.objects.get(pk=run_id),
        payload={},
        reason=str(_("月末减值准备过账")),
    )


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=PROVISION_POST,
            label=_("减值准备过账"),
            policy_key="four_eyes.provision_post",
            execute=_execute,
            authorised=_authorised,
            describe=_describe,
            url=lambda run: reverse("servicing:provisions", kwargs={"run_id": run.pk}),
        )
    )
