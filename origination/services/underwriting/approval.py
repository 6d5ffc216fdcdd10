"""An underwriter approves a claimed case, with conditions (stipulations), and the contract is
issued; a condition is later satisfied or waived."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.roles import Role, user_has_role
from origination.models.applications import Application, ApplicationStatus
from origination.models.underwriting import Condition, ConditionKind, ConditionStatus
from origination.services.contracts.issue import contract_issue
from origination.services.state import application_transition
from origination.services.underwriting.authority import (
    AuthorityError,
    UnderwritingError,
    check_amount,
    lock_for_decision,
    require_underwriter,
)
from origination.services.underwriting.notices import underwriting_notify

S = ApplicationStatus


def _clean_conditions(conditions) -> tuple[list[dict], dict[str, list[str]]]:
    rows, errors = [], {}
    for i, c in enumerate(conditions or []):
        kind = c.get("condition_kind")
        if kind not in ConditionKind.values:
            errors.setdefault(f"conditions-{i}", []).append(_("请选择条件类型。"))
            continue
        amount = c.get("amount")
        amount = Decimal(str(amount)) if amount not in (None, "") else None
        if kind == ConditionKind.DOWN_PAYMENT and (amount is None or amount <= 0):
            errors.setdefault(f"conditions-{i}", []).append(_("提高首付的条件须填写首付金额。"))
            continue
        rows.append({"condition_kind": kind, "amount": amount, "note": c.get("note") or ""})
    return rows, errors


def underwriting_approve(
    *, application_id: int, actor: Any, conditions: list[dict] | tuple = (), note: str = ""
) -> Application:
    """Approve a claimed referred application, with conditions (stipulations); then issue the
    contract in the same transaction (a deal that no longer prices refuses the approval)."""
    rows, errors = _clean_conditions(conditions)
    if errors:
        raise UnderwritingError(errors)
    with transaction.atomic():
        app, case = lock_for_decision(application_id, actor)
        check_amount(actor, app.amount_financed)
        for row in rows:
            Condition.objects.create(application=app, created_by=actor, **row)
        labels = [_condition_text(r) for r in rows]
        app = application_transition(
            application=app,
            to_status=S.APPROVED,
            actor=actor,
            reason=note or "underwriter approved",
            data={"conditions": [_jsonable(r) for r in rows], "by": "underwriting"},
            extra_fields={"conditions": [*(app.conditions or []), *labels]},
        )
        underwriting_notify(
            app,
            _("【AutoFin】您的汽车金融申请 %(ref)s 已获批准，请留意签约通知。")
            % {"ref": app.reference},
            purpose="underwriting_approve",
        )
        contract_issue(application_id=app.pk, actor=actor)
    app.refresh_from_db()
    return app


def _condition_text(row: dict) -> str:
    label = str(ConditionKind(row["condition_kind"]).label)
    if row.get("amount") is not None:
        label = f"{label} ¥{row['amount']:,.2f}"
    if row.get("note"):
        label = f"{label}（{row['note']}）"
    return label


def _jsonable(row: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def condition_resolve(*, condition_id: int, actor: Any, status: str, evidence: str) -> Condition:
    """Mark a condition satisfied or waived (waiving needs a senior underwriter)."""
    if status not in (ConditionStatus.SATISFIED, ConditionStatus.WAIVED):
        raise UnderwritingError({"status": [_("请选择“已满足”或“已豁免”。")]})
    if not (evidence or "").strip():
        raise UnderwritingError({"evidence": [_("请填写依据。")]})
    require_underwriter(actor)
    if status == ConditionStatus.WAIVED and not user_has_role(actor, Role.SENIOR_UNDERWRITER):
        raise AuthorityError(_("只有高级审批员可以豁免条件。"))
    with transaction.atomic():
        condition = Condition.objects.select_for_update().get(pk=condition_id)
        if condition.status != ConditionStatus.OPEN:
            raise UnderwritingError(_("该条件已处理。"))
        condition.status = status
        condition.evidence = evidence.strip()[:300]
        condition.resolved_by = actor
        condition.resolved_at = timezone.now()
        condition.save()
        audit_record(
            actor=actor,
            obj=condition,
            action="condition_resolve",
            from_state=ConditionStatus.OPEN,
            to_state=status,
            reason=condition.evidence,
        )
        return condition
