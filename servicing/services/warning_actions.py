"""Early-warning actions (预警处置): the suggested actions of each new hit opened for its loan, and
the owner closing them.

Each rule names its actions (risk's `EarlyWarningRule.actions`: action, owner role, days to the
due date). A new hit opens them, due `days` after the business date, in the owner role's queue;
while an action of the same kind is open for the loan and rule, none is opened again (the
database's partial unique index), so a re-run or the next night's hit adds nothing twice.
Only a holder of the owner role (or a superuser) closes an action, with an outcome.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.bulk import bulk_insert_new
from autofin.roles import user_has_role
from risk.services.early_warning import early_warning_rule_actions
from servicing.models.telematics import EarlyWarningAction, WarningActionKind


class WarningActionError(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message, self.code = message, code


def warning_actions_open(*, results: list[tuple[int, list]], business_date: dt.date) -> int:
    """Open the suggested actions of the hits ((loan_id, risk's stored hits) each); returns how
    many were opened."""
    actions = early_warning_rule_actions(h.rule_code for _loan, hits in results for h in hits)
    new = []
    for loan_id, hits in results:
        for hit in hits:
            for spec in actions.get(hit.rule_code) or []:
                if spec.get("action") not in WarningActionKind.values:
                    continue  # a rule configured with an unknown action opens nothing
                new.append(
                    EarlyWarningAction(
                        loan_id=loan_id, rule_code=hit.rule_code, hit_id=hit.pk,
                        action=spec["action"], owner=str(spec.get("owner") or ""),
                        due_date=business_date + dt.timedelta(days=int(spec.get("days") or 0)),
                        business_date=business_date,
                    )
                )  # fmt: skip
    return bulk_insert_new(
        new, unique_fields=["loan", "rule_code", "action"], where="status = 'open'"
    )


def warning_action_close(*, actor: Any, action_id: int, outcome: str) -> EarlyWarningAction:
    """The owner's queue closes an open action with its outcome (what was done, found)."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise WarningActionError(_("请填写处理结果。"), "outcome_required")
    with transaction.atomic():
        action = EarlyWarningAction.objects.select_for_update().get(pk=action_id)
        if not user_has_role(actor, action.owner):
            raise WarningActionError(_("该措施不属于您的队列。"), "forbidden")
        if action.status != EarlyWarningAction.Status.OPEN:
            raise WarningActionError(_("该措施已处理。"), "closed")
        action.status = EarlyWarningAction.Status.DONE
        action.closed_by, action.closed_at, action.outcome = actor, timezone.now(), outcome[:500]
        action.save(update_fields=["status", "closed_by", "closed_at", "outcome"])
        audit_record(
            actor=actor, obj=action, action="warning_action_close", from_state="open",
            to_state="done", data={"loan": action.loan_id, "rule": action.rule_code},
        )  # fmt: skip
    return action
