"""Change a contract's terms: a draft's directly (``contract_terms_edit``); an issued or
signed one only through a new version (``contract_amend``), the old one superseded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models import (
    Application,
    ApplicationStatus,
    Contract,
    ContractStatus,
    FinancedItemKind,
)
from origination.services.contracts.errors import ContractError, ContractSignedError
from origination.services.contracts.issue import contract_issue
from origination.services.contracts.pricing import contract_price
from origination.services.quotes import PricedDeal
from origination.services.state import application_transition

S = ApplicationStatus
CS = ContractStatus


# editable only while a draft: issued and signed contracts are immutable
EDITABLE_TERMS = ("amount_financed", "term_months", "customer_rate", "down_payment")


def contract_terms_edit(*, contract_id: int, actor: Any, **terms) -> Contract:
    """Edit the terms of a draft contract. A signed contract is refused (ContractSignedError),
    as is an issued one: its PDF is out; change the deal with ``contract_amend``."""
    unknown = set(terms) - set(EDITABLE_TERMS)
    if unknown:
        raise ContractError({k: [_("该字段不能修改。")] for k in sorted(unknown)})
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract_id)
        if contract.status == CS.SIGNED:
            raise ContractSignedError(
                _("合同 %(ref)s 已签署，不能修改金额、期限或利率；请生成新版本合同。")
                % {"ref": contract.contract_ref}
            )
        if contract.status != CS.DRAFT:
            raise ContractError(
                _("合同 %(ref)s 已出具或已作废，不能修改；请生成新版本合同。")
                % {"ref": contract.contract_ref}
            )
        for name, value in terms.items():
            setattr(contract, name, value)
        contract.save(update_fields=list(terms))
        audit_record(
            actor=actor,
            obj=contract,
            action="contract_terms_edit",
            data={k: str(v) for k, v in terms.items()},
        )
        return contract


def contract_amend(
    *,
    application_id: int,
    actor: Any,
    reason: str,
    down_payment: Decimal | None = None,
    term_months: int | None = None,
    tier: str | None = None,
) -> Contract:
    """Change the deal of an approved or contract-signed application (down payment, term, or
    the rate through the customer tier): the current contract is superseded and a new version
    issued for signing; a signed application returns to approved until the customer signs."""
    if not (reason or "").strip():
        raise ContractError({"reason": [_("请填写变更原因。")]})
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status not in (S.APPROVED, S.CONTRACT_SIGNED):
            raise ContractError(_("只有已批准或已签约的申请可以变更合同。"))
        signed = Contract.objects.select_for_update().filter(application=app, status=CS.SIGNED)
        signed = signed.first()
        changes = {}
        if down_payment is not None and down_payment != app.down_payment:
            changes["down_payment"] = down_payment
        if term_months is not None and term_months != app.term_months:
            changes["term_months"] = term_months
        if not changes and not tier:
            raise ContractError(_("没有需要变更的条款。"))
        for name, value in changes.items():
            setattr(app, name, value)
        if changes:
            app_apply_terms(app)
        # price before changing anything else: a deal the product refuses changes nothing
        priced = contract_price(application=app, tier=tier or (signed.tier if signed else None))
        if signed is not None:
            signed.status = CS.SUPERSEDED
            signed.superseded_at = timezone.now()
            signed.save(update_fields=["status", "superseded_at"])
            audit_record(
                actor=actor,
                obj=signed,
                action="contract_supersede",
                from_state=CS.SIGNED,
                to_state=CS.SUPERSEDED,
                reason=reason,
            )
            application_transition(
                application=app,
                to_status=S.APPROVED,
                actor=actor,
                reason=reason,
                data={"superseded": signed.contract_ref, "changes": _jsonable(changes)},
            )
        _save_app_terms(app, priced)
        contract = contract_issue(application_id=app.pk, actor=actor, tier=priced.deal.tier)
        if signed is not None:
            signed.superseded_by = contract
            signed.save(update_fields=["superseded_by"])
        return contract


def _jsonable(d: dict) -> dict:
    return {k: str(v) for k, v in d.items()}


def app_apply_terms(app: Application) -> None:
    """Keep the car item (the dealer's part) equal to car price − down payment."""
    app.items.filter(item_kind=FinancedItemKind.CAR).update(
        amount=app.vehicle_price - app.down_payment
    )


def _save_app_terms(app: Application, priced: PricedDeal) -> None:
    ev = priced.evaluation
    app.amount_financed = ev.amount_financed
    app.ltv = ev.ltv
    app.monthly_payment = ev.monthly_payment
    app.apr = ev.apr
    app.customer_rate = ev.customer_rate
    app.save(
        update_fields=[
            "down_payment",
            "term_months",
            "amount_financed",
            "ltv",
            "monthly_payment",
            "apr",
            "customer_rate",
            "updated_at",
        ]
    )
