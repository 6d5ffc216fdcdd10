"""The pre-funding checklist of a contract: which checks a contract needs (by contract type,
product rules and the approval's conditions), and an operator recording each one.

Each item is pending, done (with evidence), or allowed after funding with a deadline (the
nightly batch checks the deadlines). A contract is ready for funding when it is signed, no
item is pending and no approval condition is open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from origination.models.contracts import (
    ChecklistItemKind,
    ChecklistStatus,
    Contract,
    FundingChecklistItem,
)
from origination.models.underwriting import Condition, ConditionKind, ConditionStatus

K = ChecklistItemKind
# These may be completed after funding, within a deadline; the others block funding.
AFTER_FUNDING_ALLOWED = frozenset({K.GPS_INSTALLED, K.MORTGAGE_REGISTRATION, K.TITLE_REGISTRATION})
# risk's decision condition code that asks for a GPS device
RISK_GPS_CODES = ("GPS_REQUIRED",)


class ChecklistError(Exception):
    """A checklist entry the rules refuse: {"field": [message]}."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


def gps_required(*, rules: dict, application) -> bool:
    """GPS is needed when the product charges a GPS fee (or says so), an approval condition
    asks for it, or risk's decision named it."""
    if rules.get("gps_required"):
        return True
    if any(f.get("fee_kind") == "gps" for f in rules.get("fees") or []):
        return True
    if Condition.objects.filter(
        application_id=application.pk, condition_kind=ConditionKind.GPS
    ).exists():
        return True
    return any(any(code in str(c) for code in RISK_GPS_CODES) for c in application.conditions or [])


def checklist_kinds_for(
    *,
    contract_type: str,
    secured: bool,
    gps: bool,
    leaseback_title: str = "",
    purpose: str = "vehicle",
) -> list[str]:
    """The checks a contract needs, in display order.

    A purpose product (maintenance, insurance renewal) finances no car: the signed contract and
    the service centre's or insurer's bill matching the amount, nothing of the car's.

    loan / sale_leaseback: the car is mortgaged to the lender (抵押登记), if the product is
    secured; direct_lease (直租), and a sale-leaseback whose product transfers the title
    (leaseback_title "transfer"): the car is registered in the lessor's name instead.
    """
    if purpose != "vehicle":
        return [str(K.SIGNED_CONTRACT), str(K.INVOICE_MATCHES_PRICE)]
    kinds = [K.SIGNED_CONTRACT, K.INSURANCE]
    if gps:
        kinds.append(K.GPS_INSTALLED)
    title = contract_type == "sale_leaseback" and leaseback_title == "transfer"
    if contract_type == "direct_lease" or title:
        kinds.append(K.TITLE_REGISTRATION)
    elif secured:
        kinds.append(K.MORTGAGE_REGISTRATION)
    kinds.append(K.INVOICE_MATCHES_PRICE)
    return [str(k) for k in kinds]


def checklist_create(*, contract: Contract, rules: dict) -> list[FundingChecklistItem]:
    """Create the contract's pending checklist (called inside contract_issue's transaction)."""
    kinds = checklist_kinds_for(
        contract_type=contract.contract_type,
        secured=bool(rules.get("secured", True)),
        gps=gps_required(rules=rules, application=contract.application),
        leaseback_title=str(rules.get("leaseback_title") or ""),
        purpose=str(rules.get("purpose") or "vehicle"),
    )
    return [FundingChecklistItem.objects.create(contract=contract, item_kind=k) for k in kinds]


def checklist_item_record(
    *,
    item_id: int,
    actor: Any,
    status: str,
    evidence: str,
    deadline: dt.date | None = None,
) -> FundingChecklistItem:
    """An operator records one check: done (with evidence) or allowed after funding (with
    evidence of the arrangement and a deadline after today's business date)."""
    evidence = (evidence or "").strip()
    errors: dict[str, list[str]] = {}
    if status not in (ChecklistStatus.DONE, ChecklistStatus.AFTER_FUNDING):
        errors.setdefault("status", []).append(_("请选择“已完成”或“放款后补”。"))
    if not evidence:
        errors.setdefault("evidence", []).append(_("请填写依据（如保单号、抵押登记编号）。"))
    with transaction.atomic():
        item = (
            FundingChecklistItem.objects.select_for_update()
            .select_related("contract")
            .get(pk=item_id)
        )
        if item.contract.status == "superseded":
            errors.setdefault("__all__", []).append(_("合同已作废，不能登记。"))
        if status == ChecklistStatus.AFTER_FUNDING:
            if item.item_kind not in AFTER_FUNDING_ALLOWED:
                errors.setdefault("status", []).append(
                    _("“%(item)s”必须在放款前完成。") % {"item": item.get_item_kind_display()}
                )
            if deadline is None:
                errors.setdefault("deadline", []).append(_("请填写补办期限。"))
            elif deadline <= business_date_current():
                errors.setdefault("deadline", []).append(_("补办期限必须晚于今天。"))
        if errors:
            raise ChecklistError(errors)
        before = item.status
        item.status = status
        item.evidence = evidence[:300]
        item.deadline = deadline if status == ChecklistStatus.AFTER_FUNDING else None
        item.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        item.recorded_at = timezone.now()
        item.save()
        audit_record(
            actor=actor,
            obj=item,
            action="funding_checklist_record",
            from_state=before,
            to_state=status,
            reason=evidence,
            data={
                "contract": item.contract.contract_ref,
                "item_kind": item.item_kind,
                "deadline": deadline.isoformat() if deadline else None,
            },
        )
        return item


def checklist_status(contract: Contract) -> dict:
    """{"items": [{item_kind, status, deadline, evidence}], "complete": bool, "open_conditions":
    [...], "ready": bool}: ready when signed, nothing pending and no open condition."""
    items = [
        {
            "item_kind": i.item_kind,
            "label": str(i.get_item_kind_display()),
            "status": i.status,
            "deadline": i.deadline,
            "evidence": i.evidence,
        }
        for i in contract.checklist.order_by("id")
    ]
    open_conditions = [
        {"condition_kind": c.condition_kind, "amount": c.amount, "note": c.note}
        for c in Condition.objects.filter(
            application_id=contract.application_id, status=ConditionStatus.OPEN
        ).order_by("id")
    ]
    complete = bool(items) and all(i["status"] != ChecklistStatus.PENDING for i in items)
    return {
        "items": items,
        "complete": complete,
        "open_conditions": open_conditions,
        "ready": contract.is_signed and complete and not open_conditions,
    }
