"""An underwriter names an add-on's payee by choosing it from the payee register, on the case
page while deciding or on the contract page before signing: the item takes the registered
payee's exact name (so signing and funding match it), and an approved application's unsigned
contract is re-issued naming it. A name the register does not hold (verified) is refused and
nothing changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models.applications import Application, ApplicationStatus, FinancedItem
from origination.selectors.payees import PAYEE_TYPE_KIND, payee_named
from origination.services.applications.items import payee_refusal
from origination.services.contracts.issue import contract_issue
from origination.services.underwriting.authority import (
    UnderwritingError,
    check_conflict,
    lock_case,
    lock_for_decision,
    require_underwriter,
)

S = ApplicationStatus


def _lock(application_id: int, actor: Any) -> Application:
    """While referred, the underwriter holding the case; once approved (contract not yet
    signed: contract_issue refuses a signed one), any underwriter without a conflict."""
    require_underwriter(actor)
    app, _case = lock_case(application_id)
    if app.status == S.REFERRED:
        app, _case = lock_for_decision(application_id, actor)
    elif app.status == S.APPROVED:
        check_conflict(actor, app)
    else:
        raise UnderwritingError(_("申请当前状态下不能更换收款方。"))
    return app


def item_payee_choose(
    *, application_id: int, item_kind: str, actor: Any, payee_name: str
) -> FinancedItem:
    """Name the registered payee `payee_name` (picked from the register's type-ahead) as the
    payee of the application's add-on of kind `item_kind` (one per kind)."""
    with transaction.atomic():
        app = _lock(application_id, actor)
        item = (
            FinancedItem.objects.select_for_update()
            .filter(application=app, item_kind=item_kind)
            .first()
        )
        if item is None or item.payee_type not in PAYEE_TYPE_KIND:
            raise UnderwritingError(_("该融资项目的收款方不在收款方登记簿中管理。"))
        name = (payee_name or "").strip()
        payee = payee_named(item.payee_type, name)
        if payee is None:
            raise UnderwritingError({"payee_name": [payee_refusal(item.payee_type, name)]})
        before = item.payee_name
        if before == payee.name:
            return item
        item.payee_name = payee.name
        item.save(update_fields=["payee_name"])
        audit_record(
            actor=actor,
            obj=app,
            action="item_payee_choose",
            data={"item": item.item_kind, "from": before, "to": payee.name, "payee": payee.pk},
        )
        if app.status == S.APPROVED:
            contract_issue(application_id=app.pk, actor=actor)
        return item
