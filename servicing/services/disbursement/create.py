"""Preparing a disbursement (the maker): the signed contract's facts, the payment split from its
payees and their verified master data (refused unless it sums to the amount financed to the
fen), and the prepared disbursement."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from dealers.models.dealers import Dealer
from dealers.selectors import dealer_payout_account
from origination.models import ProductVersion
from origination.selectors.bank_cards import customer_card_account
from origination.selectors.contracts import contract_for_funding
from origination.selectors.payees import payee_match
from origination.services.payees import payee_account
from servicing.models.disbursement import Disbursement, Payee, PayeeKind, PaymentInstruction
from servicing.services.disbursement.aml_hold import aml_hold_check
from servicing.services.disbursement.states import DS, DisbursementError
from servicing.services.floorplan.retail import retail_payoff_split

# contract payee_type (origination's vocabulary) -> our payee kind
PAYEE_TYPE_KIND = {
    "dealer": PayeeKind.DEALER,
    "insurer": PayeeKind.INSURER,
    "tax": PayeeKind.TAX,
    "tax_authority": PayeeKind.TAX,
    "warranty": PayeeKind.WARRANTY,
    "warranty_provider": PayeeKind.WARRANTY,
    "accessory": PayeeKind.ACCESSORY,
    "accessories": PayeeKind.ACCESSORY,
    "gps": PayeeKind.GPS,
    "lender": PayeeKind.LENDER,
    "customer": PayeeKind.CUSTOMER,  # 售后回租: the car's price to the customer's own card
    "service_centre": PayeeKind.SERVICE_CENTRE,  # 保养分期: the bill to the service centre
}


def dual_approval_threshold() -> Decimal:
    """Above this amount financed a disbursement needs two approvers (business policy)."""
    return policy_value("servicing.disbursement_dual_approval_threshold")


# --- the contract's facts ---------------------------------------------------------------------


def contract_facts_load(*, contract_id: int) -> dict:
    """origination's contract_for_funding, plus the product line commission is accrued on."""

    facts = contract_for_funding(contract_id=contract_id)
    if not facts.get("product_line") and facts.get("product_version_id"):
        facts["product_line"] = (
            ProductVersion.objects.filter(pk=facts["product_version_id"])
            .values_list("product__vehicle_kind", flat=True)
            .first()
        )
    return facts


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# --- accounts from master data ----------------------------------------------------------------


def _register_payee(kind: str, name: str) -> Payee | None:
    return payee_match(kind, name)  # the register's one matching rule (origination)


# --- prepare (maker) ---------------------------------------------------------------------------


def instruction_accounts(instructions: list[PaymentInstruction]) -> list[dict]:
    """`instruction_account` of each instruction, the register's payees read in one query."""
    ids = [
        i.payee_id
        for i in instructions
        if i.payee_kind not in (PayeeKind.DEALER, PayeeKind.CUSTOMER)
    ]
    usable = (
        {p.pk: p for p in Payee.objects.filter(pk__in=ids, active=True, verified=True)}
        if ids
        else {}
    )
    return [instruction_account(i, payees=usable) for i in instructions]


def instruction_account(
    instruction: PaymentInstruction, *, payees: dict[int, Payee] | None = None
) -> dict:
    """The payee's current verified account (plain values, decrypted number). `payees`: the
    register's active verified payees by pk, read already (else this one is read)."""

    if instruction.payee_kind == PayeeKind.DEALER:
        account = dealer_payout_account(dealer_id=instruction.payee_dealer_id)
        if account is None:
            raise DisbursementError(
                _("经销商没有已核验的结算账户或当前不可收款：%(name)s")
                % {"name": instruction.payee_name},
                code="no_account",
            )
        return account
    if instruction.payee_kind == PayeeKind.CUSTOMER:
        return customer_card_required(instruction.disbursement.application_id)
    if payees is None:
        payee = Payee.objects.filter(pk=instruction.payee_id, active=True, verified=True).first()
    else:
        payee = payees.get(instruction.payee_id)
    if payee is None:
        raise DisbursementError(
            _("收款方未登记或未核验：%(name)s") % {"name": instruction.payee_name},
            code="no_account",
        )
    return payee_account(payee=payee)


def customer_card_required(application_id: int | None) -> dict:
    """A sale-leaseback pays the customer only to their own card whose four-element check
    (银行卡四要素) passed; refused otherwise."""
    account = customer_card_account(application_id)
    if account is None:
        raise DisbursementError(
            _("客户本人收款银行卡尚未通过四要素核验，不能放款。"), code="card_not_verified"
        )
    return account


def _seller_dealer_id(name: str) -> int | None:
    """A direct-channel contract names the car's seller (origination's car payee) but has no
    dealer: the seller is paid only if it is a registered dealer of exactly that legal name
    (its verified settlement account comes from the dealers app, as for the dealer channel)."""

    name = (name or "").strip()
    ids = list(Dealer.objects.filter(legal_name=name).values_list("pk", flat=True)[:2])
    return ids[0] if name and len(ids) == 1 else None


def split_build(*, facts: dict) -> list[dict]:
    """The payment split from the contract's payees; refuses a split that does not sum EXACTLY
    to the amount financed (to the fen) or a payee without verified master data."""
    amount_financed = to_decimal(facts["amount_financed"])
    parts = []
    for n, p in enumerate(facts.get("payees") or [], start=1):
        kind = PAYEE_TYPE_KIND.get(str(p.get("payee_type")))
        if kind is None:
            raise DisbursementError(
                _("第 %(n)d 个收款方类型无效：%(t)s") % {"n": n, "t": p.get("payee_type")},
                field="payees",
            )
        amount = to_decimal(p["amount"])
        if amount <= 0 or amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            raise DisbursementError(
                _("第 %(n)d 个收款方金额无效：%(a)s") % {"n": n, "a": amount}, field="payees"
            )
        part = {
            "seq": n,
            "payee_kind": kind,
            "payee_name": str(p.get("name") or "")[:200],
            "item_kind": str(p.get("item") or "")[:20],
            "amount": amount,
            "payee_id": None,
            "payee_dealer_id": None,
        }
        if kind == PayeeKind.DEALER:
            dealer_id = facts.get("dealer_id") or _seller_dealer_id(part["payee_name"])
            if not dealer_id:
                raise DisbursementError(
                    _("收款方未在登记簿中核验：%(kind)s %(name)s")
                    % {"kind": PayeeKind(kind).label, "name": part["payee_name"]},
                    field="payees",
                    code="no_account",
                )
            part["payee_dealer_id"] = dealer_id
        elif kind == PayeeKind.LENDER:
            part["payee_name"] = part["payee_name"] or _("本公司")
        elif kind == PayeeKind.CUSTOMER:
            part["payee_name"] = part["payee_name"] or str(facts.get("customer_name") or "")[:200]
        else:
            payee = _register_payee(kind, part["payee_name"])
            if payee is None:
                raise DisbursementError(
                    _("收款方未在登记簿中核验：%(kind)s %(name)s")
                    % {"kind": PayeeKind(kind).label, "name": part["payee_name"]},
                    field="payees",
                    code="no_account",
                )
            part["payee_id"] = payee.pk
            part["payee_name"] = part["payee_name"] or payee.name
        parts.append(part)
    if not parts:
        raise DisbursementError(_("合同没有收款方。"), field="payees")
    total = sum((p["amount"] for p in parts), ZERO)
    if total != amount_financed:
        raise DisbursementError(
            _("付款拆分合计 %(total)s 与融资额 %(amount)s 不一致，不能创建放款。")
            % {"total": total, "amount": amount_financed},
            field="payees",
            code="split_mismatch",
        )
    return parts


def disbursement_prepare(*, contract_id: int, actor: Any) -> Disbursement:
    """The maker prepares the disbursement of a signed, ready contract (idempotent per contract)."""
    existing = Disbursement.objects.filter(contract_id=contract_id).first()
    if existing is not None:
        return existing
    facts = contract_facts_load(contract_id=contract_id)
    if facts.get("status") not in (None, "signed"):
        raise DisbursementError(_("合同尚未签署，不能放款。"), code="not_signed")
    checklist = facts.get("checklist") or {}
    if checklist and not checklist.get("ready"):
        raise DisbursementError(_("放款前检查清单尚未完成。"), code="checklist")
    return disbursement_create(facts=facts, actor=actor)


def disbursement_create(*, facts: dict, actor: Any) -> Disbursement:
    """Create the disbursement and its instructions from a contract's facts (plain values, as
    contract_for_funding gives them). Idempotent per contract."""
    if not user_has_role(actor, Role.FINANCE_OPERATOR):
        raise DisbursementError(_("只有财务经办可以发起放款。"), code="forbidden")
    existing = Disbursement.objects.filter(contract_id=facts["contract_id"]).first()
    if existing is not None:
        return existing
    aml_hold_check(facts.get("application_ref"))
    amount = quantize_fen(facts["amount_financed"])
    if amount <= 0:
        raise DisbursementError(_("融资额必须大于零。"), field="amount_financed")
    # a car still floor-planned by its dealer: part of its price settles the advance
    parts = retail_payoff_split(facts=facts, parts=split_build(facts=facts))
    for part in parts:  # every payee must have a verified account now (fail early)
        instruction_account(
            PaymentInstruction(
                payee_kind=part["payee_kind"],
                payee_id=part["payee_id"],
                payee_dealer_id=part["payee_dealer_id"],
                payee_name=part["payee_name"],
            )
        ) if part["payee_kind"] not in (PayeeKind.LENDER, PayeeKind.CUSTOMER) else None
    # the customer's card may still be entered and checked: release checks it
    try:
        with transaction.atomic():
            d = Disbursement.objects.create(
                contract_id=facts["contract_id"],
                contract_ref=facts["contract_ref"],
                application_id=facts.get("application_id"),
                dealer_id=facts.get("dealer_id"),
                customer_name=str(facts.get("customer_name") or "")[:100],
                amount_financed=amount,
                contract_facts=_jsonable(facts),
                needs_two_approvers=amount > dual_approval_threshold(),
                prepared_by=actor,
            )
            PaymentInstruction.objects.bulk_create(
                [
                    PaymentInstruction(
                        disbursement=d,
                        seq=p["seq"],
                        payee_kind=p["payee_kind"],
                        payee_id=p["payee_id"],
                        payee_dealer_id=p["payee_dealer_id"],
                        payee_name=p["payee_name"],
                        item_kind=p["item_kind"],
                        amount=p["amount"],
                    )
                    for p in parts
                ]
            )
            audit_record(
                actor=actor,
                obj=d,
                action="disbursement_prepare",
                to_state=DS.PREPARED,
                data={
                    "amount_financed": str(amount),
                    "split": [[p["payee_kind"], str(p["amount"])] for p in parts],
                },
            )
    except IntegrityError:
        existing = Disbursement.objects.filter(contract_id=facts["contract_id"]).first()
        if existing is None:
            raise
        return existing
    return d
